"""The timer's index: when each device on this worker next needs the clock, per partition.

Scanning the table itself every period would decode every device's state; this index holds
one deadline per device in a heap per partition, updated by the agent after each step and
rebuilt after a rebalance. The timer only asks which partitions have something due; the
agent, sweeping a partition, asks which of its devices are due.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable


class Schedule:
    def __init__(self) -> None:
        self._due: dict[str, float] = {}
        self._partition: dict[str, int] = {}
        # Entries go stale when a device's deadline moves; they are dropped when they surface.
        self._heaps: dict[int, list[tuple[float, str]]] = {}

    def __len__(self) -> int:
        return len(self._due)

    def set(self, device_id: str, partition: int, due: float | None) -> None:
        moved = self._partition.get(device_id) != partition
        self._partition[device_id] = partition
        if due is None:
            self._due.pop(device_id, None)
            return
        if not moved and self._due.get(device_id) == due:
            return
        self._due[device_id] = due
        heap = self._heaps.setdefault(partition, [])
        heapq.heappush(heap, (due, device_id))
        if len(heap) > 64 and len(heap) > 4 * len(self._due):
            self._compact()

    def earliest(self, partition: int) -> float | None:
        heap = self._heaps.get(partition)
        while heap and not self._current(heap[0], partition):
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def partitions(self) -> list[int]:
        return list(self._heaps)

    def partitions_due(self, now: float) -> list[int]:
        return [
            partition
            for partition in list(self._heaps)
            if (first := self.earliest(partition)) is not None and first <= now
        ]

    def due_in(self, partition: int, now: float, limit: int) -> list[str]:
        """Up to `limit` devices of the partition whose deadline is at or before `now`,
        earliest first. They stay indexed: the agent's step sets each one's next deadline."""
        heap, found, taken = self._heaps.get(partition, []), list[str](), []
        while heap and len(found) < limit:
            entry = heap[0]
            if not self._current(entry, partition):
                heapq.heappop(heap)
                continue
            if entry[0] > now:
                break
            taken.append(heapq.heappop(heap))
            if entry[1] not in found:
                found.append(entry[1])
        for entry in taken:
            heapq.heappush(heap, entry)
        return found

    def forget_partitions(self, partitions: Iterable[int]) -> None:
        gone = set(partitions)
        for device_id in [d for d, p in self._partition.items() if p in gone]:
            self._due.pop(device_id, None)
            self._partition.pop(device_id, None)
        for partition in gone:
            self._heaps.pop(partition, None)

    def _current(self, entry: tuple[float, str], partition: int) -> bool:
        due, device_id = entry
        return self._due.get(device_id) == due and self._partition.get(device_id) == partition

    def _compact(self) -> None:
        heaps: dict[int, list[tuple[float, str]]] = {}
        for device_id, due in self._due.items():
            heaps.setdefault(self._partition[device_id], []).append((due, device_id))
        for heap in heaps.values():
            heapq.heapify(heap)
        self._heaps = heaps
