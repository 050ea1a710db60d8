"""A feed position: the next offset of every partition of the event topic.

The SSE `id:` of each event is the position *after* it, so `Last-Event-ID` tells exactly where
a client stopped on every partition, and a resume replays the gap from Kafka (the event log is
kept forever) before joining the live stream: nothing lost, nothing repeated.
"""

from __future__ import annotations

from dataclasses import dataclass

_PREFIX = "p1"


@dataclass(frozen=True)
class Position:
    offsets: tuple[int, ...]

    def advanced(self, partition: int, offset: int) -> Position:
        offsets = list(self.offsets)
        offsets[partition] = max(offsets[partition], offset + 1)
        return Position(tuple(offsets))

    def encode(self) -> str:
        return _PREFIX + "-" + "-".join(str(o) for o in self.offsets)

    @classmethod
    def decode(cls, text: str, partitions: int) -> Position | None:
        parts = text.strip().split("-")
        if parts[0] != _PREFIX or len(parts) != partitions + 1:
            return None
        try:
            offsets = tuple(int(p) for p in parts[1:])
        except ValueError:
            return None
        return cls(offsets) if all(o >= 0 for o in offsets) else None
