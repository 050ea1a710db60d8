"""Counts behind the worker's gauges: open alarms and device presence on its partitions.

Kept per device as a tiny summary updated by the agent, so publishing the gauges never has
to decode the table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from streams.device import DeviceState
from streams.metrics import StreamsMetrics
from streams.rules.site import SITE_KEY_PREFIX


class Census:
    def __init__(self) -> None:
        # device id -> (partition, family, online, severities of its open alarms)
        self._devices: dict[str, tuple[int, str, bool, tuple[str, ...]]] = {}

    def record(self, device_id: str, partition: int, state: DeviceState) -> None:
        if state.family is None or device_id.startswith(SITE_KEY_PREFIX):
            return
        open_alarms = tuple(a.severity.value for a in state.alarms.alarms if a.is_open)
        self._devices[device_id] = (
            partition, state.family.value, not state.presence.offline, open_alarms
        )

    def forget_partitions(self, partitions: Iterable[int]) -> None:
        gone = set(partitions)
        self._devices = {d: v for d, v in self._devices.items() if v[0] not in gone}

    def publish(self, metrics: StreamsMetrics) -> None:
        alarms: Counter[tuple[str, str]] = Counter()
        devices: Counter[tuple[str, str]] = Counter()
        for _, family, online, severities in self._devices.values():
            devices[(family, "online" if online else "offline")] += 1
            alarms.update((family, severity) for severity in severities)
        # Reset first: a label set that dropped to zero must not keep its last value.
        metrics.open_alarms.clear()
        metrics.devices.clear()
        for (family, severity), count in alarms.items():
            metrics.open_alarms.labels(family, severity).set(count)
        for (family, status), count in devices.items():
            metrics.devices.labels(family, status).set(count)
