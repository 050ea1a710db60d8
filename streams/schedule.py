"""The timer's index: when each device on this worker next needs a clock tick.

Scanning the table itself every period would decode every device's state; this index holds
one float per device, updated by the agent after each step and rebuilt after a rebalance.
"""

from __future__ import annotations

from collections.abc import Iterable


class Schedule:
    def __init__(self, resend_after_s: float = 5.0) -> None:
        self._due: dict[str, float] = {}
        self._partition: dict[str, int] = {}
        self._sent: dict[str, float] = {}
        self._resend_after_s = resend_after_s

    def __len__(self) -> int:
        return len(self._due)

    def set(self, device_id: str, partition: int, due: float | None) -> None:
        self._partition[device_id] = partition
        self._sent.pop(device_id, None)
        if due is None:
            self._due.pop(device_id, None)
        else:
            self._due[device_id] = due

    def due(self, now: float) -> list[str]:
        """Devices whose deadline passed; each is returned again only after `resend_after_s`
        (its tick may be queued behind a burst, and a lost tick must not stall it forever)."""
        found = []
        for device_id, due in self._due.items():
            if due <= now and now - self._sent.get(device_id, -1e18) >= self._resend_after_s:
                self._sent[device_id] = now
                found.append(device_id)
        return found

    def forget_partitions(self, partitions: Iterable[int]) -> None:
        gone = set(partitions)
        for device_id in [d for d, p in self._partition.items() if p in gone]:
            self._due.pop(device_id, None)
            self._partition.pop(device_id, None)
            self._sent.pop(device_id, None)
