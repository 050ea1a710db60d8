"""Replay: fold the whole event log into projections and compare them with persisted ones.

The persisted side is a port (`ProjectionStore`): storage's implementation in production, any
mapping in tests. Differences are reported per alarm / device and field, so a mismatch says
exactly what a live consumer got wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from schemas.events import AlarmEvent, parse_event
from schemas.kafka_access import KafkaAccess
from streams.projections import (
    AlarmView,
    DeviceStatusView,
    OfflineInterval,
    fold_alarms,
    fold_devices,
    fold_intervals,
)


class ProjectionStore(Protocol):
    """What replay needs from the persisted projections (storage/projections.py)."""

    def load_alarms(self) -> Any: ...
    def load_device_status(self) -> Any: ...
    def load_offline_intervals(self) -> Any: ...
    def rebuild(self, alarms: Any, devices: Any, intervals: Any = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class Projections:
    alarms: dict[str, AlarmView]
    devices: dict[str, DeviceStatusView]
    intervals: dict[str, OfflineInterval]  # offline episodes (uptime), by episode id

    @classmethod
    def fold(cls, events: list[AlarmEvent]) -> Projections:
        return cls(fold_alarms(events), fold_devices(events), fold_intervals(events))


def read_log(kafka: KafkaAccess, topic: str, timeout_s: float = 30.0) -> list[AlarmEvent]:
    """Every event of `topic` from the beginning up to its end at the time of the call,
    in log order per partition (per device, which is all the folds need)."""
    import time

    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        **kafka.client_options(), enable_auto_commit=False, group_id=None,
        auto_offset_reset="earliest",
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        events: list[AlarmEvent] = []
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end in {timeout_s:.0f} s")
            for records in consumer.poll(timeout_ms=500).values():
                events.extend(parse_event(record.value) for record in records)
        return events
    finally:
        consumer.close()


def by_key(views: Any, key: str) -> dict[str, Any]:
    """Persisted views as a mapping by id: storage returns a list of JSON dicts."""
    if isinstance(views, Mapping):
        return dict(views)
    return {view[key] if isinstance(view, Mapping) else getattr(view, key): view for view in views}


def differences(expected: Mapping[str, BaseModel], actual: Mapping[str, Any], what: str
                ) -> list[str]:
    """One line per missing, unexpected or differing item (field by field)."""
    lines = [f"{what} {key}: missing" for key in sorted(expected.keys() - actual.keys())]
    lines += [f"{what} {key}: not in the log" for key in sorted(actual.keys() - expected.keys())]
    for key in sorted(expected.keys() & actual.keys()):
        # JSON mode on both sides: storage keeps views as JSON (times as ISO strings).
        want = expected[key].model_dump(mode="json")
        have = _as_dict(actual[key])
        for field, value in want.items():
            if field in have and have[field] != value:
                lines.append(f"{what} {key}: {field} is {have[field]!r}, the log says {value!r}")
    return lines


def compare(replayed: Projections, store: ProjectionStore) -> list[str]:
    return [
        *differences(replayed.alarms, by_key(store.load_alarms(), "alarm_id"), "alarm"),
        *differences(
            replayed.devices, by_key(store.load_device_status(), "device_id"), "device"
        ),
        *differences(replayed.intervals, _intervals(store), "offline interval"),
    ]


def _intervals(store: ProjectionStore) -> dict[str, OfflineInterval]:
    # Rows, not JSON views: validated so that times compare in UTC, as the fold dumps them.
    stored = by_key(store.load_offline_intervals(), "episode_id")
    return {key: OfflineInterval.model_validate(_as_dict(row)) for key, row in stored.items()}


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return dict(value)
    return dict(vars(value))


def as_json(views: Mapping[str, BaseModel]) -> list[dict[str, Any]]:
    """Views as storage's ProjectionStore.rebuild takes them."""
    return [view.model_dump(mode="json") for view in views.values()]


def summary(projections: Projections) -> Iterable[str]:
    states: dict[str, int] = {}
    for view in projections.alarms.values():
        states[view.state] = states.get(view.state, 0) + 1
    offline = sum(1 for view in projections.devices.values() if not view.online)
    yield f"alarms: {len(projections.alarms)} " + " ".join(
        f"{state}={count}" for state, count in sorted(states.items())
    )
    yield f"devices with status: {len(projections.devices)} (offline now: {offline})"
    yield f"offline episodes: {len(projections.intervals)}"
