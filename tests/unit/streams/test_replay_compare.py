from __future__ import annotations

from typing import Any

from schemas.events import AlarmEvent
from schemas.families import Severity
from streams.alarms.detections import apply_decision
from streams.alarms.records import DeviceAlarms, Trigger
from streams.replay import Projections, as_json, compare
from streams.rules.decisions import Cleared, Decision, Detected

from .factories import at, context, rid


class InMemoryStore:
    def __init__(self, alarms: Any, devices: Any) -> None:
        self.alarms, self.devices = alarms, devices

    def load_alarms(self) -> Any:
        return self.alarms

    def load_device_status(self) -> Any:
        return self.devices

    def rebuild(self, alarms: Any, devices: Any) -> None:
        self.alarms, self.devices = alarms, devices


def offline_and_back() -> list[AlarmEvent]:
    ctx, state, events = context(), DeviceAlarms(), list[AlarmEvent]()
    steps: list[tuple[float, Decision]] = [
        (0.0, Detected("offline", Severity.YELLOW)),
        (60.0, Cleared("offline")),
    ]
    for seconds, decision in steps:
        state, new = apply_decision(state, ctx, decision, Trigger(rid(), at(seconds)))
        events.extend(new)
    return events


def test_persisted_projections_equal_to_the_log_have_no_differences():
    replayed = Projections.fold(offline_and_back())
    store = InMemoryStore(as_json(replayed.alarms), as_json(replayed.devices))
    assert compare(replayed, store) == []


def test_a_persisted_alarm_that_missed_an_event_is_reported_field_by_field():
    events = offline_and_back()
    replayed = Projections.fold(events)
    stale = Projections.fold(events[:1])
    lines = compare(replayed, InMemoryStore(stale.alarms, stale.devices))
    alarm_id, device_id = events[0].alarm_id, events[0].device_id
    assert f"alarm {alarm_id}: cleared is False, the log says True" in lines
    assert f"device {device_id}: online is False, the log says True" in lines


def test_missing_and_unknown_items_are_both_reported():
    replayed = Projections.fold(offline_and_back())
    some_view = next(iter(replayed.alarms.values()))
    lines = compare(replayed, InMemoryStore({"ghost": some_view}, {}))
    assert any(line.endswith(": missing") for line in lines)
    assert "alarm ghost: not in the log" in lines
