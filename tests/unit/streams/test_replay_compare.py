from __future__ import annotations

from typing import Any

from schemas.events import AlarmEvent
from schemas.families import Severity
from streams.alarms.detections import apply_decision
from streams.alarms.presence import came_online, went_offline
from streams.alarms.records import DeviceAlarms, Trigger
from streams.replay import Projections, as_json, compare
from streams.rules.decisions import Cleared, Detected

from .factories import at, context, rid


class InMemoryStore:
    def __init__(self, alarms: Any, devices: Any, intervals: Any = ()) -> None:
        self.alarms, self.devices, self.intervals = alarms, devices, intervals

    def load_alarms(self) -> Any:
        return self.alarms

    def load_device_status(self) -> Any:
        return self.devices

    def load_offline_intervals(self) -> Any:
        return self.intervals

    def rebuild(self, alarms: Any, devices: Any, intervals: Any = None) -> None:
        self.alarms, self.devices = alarms, devices
        if intervals is not None:
            self.intervals = intervals


def offline_and_back() -> list[AlarmEvent]:
    """An offline episode as the worker logs it: presence first, then the offline alarm."""
    ctx, state = context(), DeviceAlarms()
    events: list[AlarmEvent] = [went_offline(ctx, at(0), at(-30), 30.0)]
    state, new = apply_decision(
        state, ctx, Detected("offline", Severity.YELLOW), Trigger(rid(), at(0))
    )
    events += [*new, came_online(ctx, at(0), at(60), rid())]
    state, new = apply_decision(state, ctx, Cleared("offline"), Trigger(rid(), at(60)))
    return [*events, *new]


def persisted(projections: Projections) -> InMemoryStore:
    return InMemoryStore(
        as_json(projections.alarms), as_json(projections.devices),
        as_json(projections.intervals),
    )


def test_persisted_projections_equal_to_the_log_have_no_differences():
    replayed = Projections.fold(offline_and_back())
    assert compare(replayed, persisted(replayed)) == []


def test_a_persisted_alarm_that_missed_an_event_is_reported_field_by_field():
    events = offline_and_back()
    replayed = Projections.fold(events)
    stale = Projections.fold(events[:2])
    lines = compare(replayed, persisted(stale))
    episode, alarm_id, device_id = events[0].alarm_id, events[1].alarm_id, events[0].device_id
    assert f"alarm {alarm_id}: cleared is False, the log says True" in lines
    assert f"device {device_id}: online is False, the log says True" in lines
    ended = at(60).isoformat().replace("+00:00", "Z")
    assert f"offline interval {episode}: ended_at is None, the log says {ended!r}" in lines


def test_missing_and_unknown_items_are_both_reported():
    replayed = Projections.fold(offline_and_back())
    some_view = next(iter(replayed.alarms.values()))
    lines = compare(replayed, InMemoryStore({"ghost": some_view}, {}))
    assert any(line.endswith(": missing") for line in lines)
    assert "alarm ghost: not in the log" in lines
