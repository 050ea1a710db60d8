"""Where the agents are in each input partition: lag, holes and stalls.

The agents note the offset of each message they admit into a batch (`Progress`); a periodic
task asks the broker for the partitions' end offsets to publish the lag, and seeks back
partitions with a hole (messages faust fetched but never handed over) or a stall.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Partition = tuple[str, int]  # (topic, partition)


class Progress:
    """Per input partition: the next offset to process, and holes waiting to be mended.

    A partition's start is set from its stored position (`streams.positions`) before its
    first message is admitted; from then on only the next offset in order is admitted.

    A hole is mended (its partition sought back) `quiet_s` after it opened, whether or not
    later messages keep arriving: under a steady load they always do, and waiting for them to
    stop left a hole open until the stall guard's period (and, as faust commits past what it
    hands over, a restart then resumed from far behind). The seek is reliable because faust no
    longer drops refetched messages (`streams.redelivery`); it is repeated every `retry_s`
    while the hole stays open (the seek was lost, say in a rebalance)."""

    def __init__(self, quiet_s: float = 0.5, retry_s: float = 3.0) -> None:
        self.quiet_s, self.retry_s = quiet_s, retry_s
        self._next: dict[Partition, int] = {}
        # first missed offset, when the hole opened, when it was last sought back (or None)
        self._holes: dict[Partition, tuple[int, float, float | None]] = {}

    def started(self, tp: Partition) -> bool:
        return tp in self._next

    def start(self, tp: Partition, next_offset: int) -> None:
        self._next[tp] = next_offset

    def next_offset(self, tp: Partition) -> int | None:
        return self._next.get(tp)

    def admit(self, tp: Partition, offset: int, now: float) -> bool:
        """Whether the agent should process this message now.

        Our input topics are neither compacted nor transactional, so their offsets are dense:
        an offset past the next one expected means messages were fetched but never handed to
        the agent (faust drops a fetched batch when flow or partition state changes under it,
        as around recovery), or that faust resumed from a commit past the stored position; it
        is held back (faust acks it, but the stored position does not move past the hole)
        until the partition is sought back. An offset before the expected one was processed
        already: faust resumed from a commit older than the stored position, or it is the
        refetch of a seek arriving behind messages fetched before it."""
        expected = self._next.get(tp)
        if expected is None or offset == expected:
            self._next[tp] = offset + 1
            self._holes.pop(tp, None)
            return True
        if offset > expected:
            hole = self._holes.get(tp)
            if hole is None or hole[0] != expected:  # later arrivals do not reopen it
                self._holes[tp] = (expected, now, None)
        return False

    def rewind(self, tp: Partition, offset: int, now: float) -> None:
        """Messages from `offset` on were admitted but not saved (their batch failed): admit
        nothing past them until the partition is sought back to them."""
        self._next[tp] = offset
        self._holes[tp] = (offset, now, None)

    def holes_to_mend(self, now: float) -> list[tuple[Partition, int]]:
        """Holes open for `quiet_s` and not sought back yet, or sought back `retry_s` ago and
        still open."""
        found = []
        for tp, (missed, opened, sought) in list(self._holes.items()):
            due = opened + self.quiet_s if sought is None else sought + self.retry_s
            if now >= due:
                found.append((tp, missed))
                self._holes[tp] = (missed, opened, now)
        return found

    def forget(self, partitions: Iterable[Partition]) -> None:
        for tp in partitions:
            self._next.pop(tp, None)
            self._holes.pop(tp, None)


def lag_by_topic(
    ends: Mapping[Partition, int], positions: Mapping[Partition, int]
) -> dict[str, int]:
    """Sum over each topic's partitions of end offset minus the next offset to process."""
    lag: dict[str, int] = {}
    for tp, end in ends.items():
        position = positions.get(tp, end)
        lag[tp[0]] = lag.get(tp[0], 0) + max(0, end - position)
    return lag


class StallGuard:
    """Finds input partitions with messages waiting whose processed position has not moved
    for `after_s`: after a rebalance faust can lose track of fetched messages (faust-streaming
    #471), leaving a partition silently stuck. The worker seeks such a partition back to its
    next unprocessed offset; redelivery is harmless (duplicates are dropped by seq, ids are
    deterministic)."""

    def __init__(self, after_s: float) -> None:
        self.after_s = after_s
        self._seen: dict[Partition, tuple[int, float]] = {}  # position, since

    def stalled(
        self, ends: Mapping[Partition, int], positions: Mapping[Partition, int], now: float
    ) -> list[tuple[Partition, int]]:
        found = []
        for tp, end in ends.items():
            position = positions.get(tp)
            if position is None or position >= end:
                self._seen.pop(tp, None)
                continue
            seen = self._seen.get(tp)
            if seen is None or seen[0] != position:
                self._seen[tp] = (position, now)
            elif now - seen[1] >= self.after_s:
                found.append((tp, position))
                self._seen[tp] = (position, now)  # give the seek its own full period
        return found

    def forget(self, partitions: Iterable[Partition]) -> None:
        for tp in partitions:
            self._seen.pop(tp, None)
