from __future__ import annotations

from datetime import timedelta

import pytest

from schemas.commands import CommandKind, MaintenanceWindow
from schemas.events import (
    Acknowledged,
    AlarmEvent,
    AlarmRaised,
    Closed,
    CommandRejected,
    ConditionCleared,
    Dispatched,
    Resolved,
    SeverityChanged,
    Supervised,
    Suppressed,
)
from schemas.families import Severity
from streams.alarms.commands import apply_command
from streams.alarms.detections import apply_decision
from streams.alarms.records import DeviceAlarms, DeviceContext, Trigger
from streams.rules.decisions import Cleared, Detected

from .factories import at, command, context, rid

GAS_L1 = Detected("gas_level", Severity.ORANGE, 30.0, 25.0)
GAS_L2 = Detected("gas_level", Severity.RED, 55.0, 50.0)


def trigger(seconds: float = 0) -> Trigger:
    return Trigger(f"reading|{rid()}", at(seconds))


def raised(ctx: DeviceContext, decision: Detected = GAS_L1) -> tuple[DeviceAlarms, AlarmEvent]:
    state, events = apply_decision(DeviceAlarms(), ctx, decision, trigger())
    return state, events[0]


def handled(
    ctx: DeviceContext, state: DeviceAlarms, alarm_id: str, *kinds: CommandKind
) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    events: list[AlarmEvent] = []
    for kind in kinds:
        state, new = apply_command(state, ctx, command(ctx, kind, alarm_id, cause="real_leak"))
        events.extend(new)
    return state, events


def rejection(events: list[AlarmEvent]) -> CommandRejected:
    assert len(events) == 1 and isinstance(events[0], CommandRejected)
    return events[0]


def test_a_detection_raises_an_alarm_with_seq_one():
    ctx = context()
    _, event = raised(ctx)
    assert isinstance(event, AlarmRaised)
    assert (event.seq, event.severity, event.device_id) == (1, Severity.ORANGE, ctx.device_id)


def test_a_higher_level_on_an_open_alarm_is_a_severity_change_not_a_new_alarm():
    ctx = context()
    state, first = raised(ctx)
    state, events = apply_decision(state, ctx, GAS_L2, trigger(5))
    assert len(events) == 1 and isinstance(events[0], SeverityChanged)
    change = events[0]
    assert (change.alarm_id, change.seq) == (first.alarm_id, 2)
    assert (change.from_severity, change.to_severity) == (Severity.ORANGE, Severity.RED)


def test_the_same_detection_again_adds_nothing():
    ctx = context()
    state, _ = raised(ctx)
    assert apply_decision(state, ctx, GAS_L1, trigger(1)) == (state, [])


def test_a_cleared_condition_leaves_the_alarm_open():
    ctx = context()
    state, _ = raised(ctx)
    state, events = apply_decision(state, ctx, Cleared("gas_level", 3.0), trigger(40))
    assert [type(e) for e in events] == [ConditionCleared]
    assert state.open_alarm("gas_level") is not None
    assert apply_decision(state, ctx, Cleared("gas_level"), trigger(41))[1] == []


def gone(ctx: DeviceContext, state: DeviceAlarms) -> DeviceAlarms:
    """The leak is over: its condition clears (a closing may follow)."""
    return apply_decision(state, ctx, Cleared("gas_level", 3.0), trigger(40))[0]


def test_the_full_lifecycle_runs_in_order_with_gap_free_seq():
    ctx = context()
    state, first = raised(ctx)
    state = gone(ctx, state)
    state, events = handled(
        ctx, state, first.alarm_id, "acknowledge", "dispatch", "resolve", "close"
    )
    assert [type(e) for e in events] == [Acknowledged, Dispatched, Resolved, Closed]
    assert [e.seq for e in events] == [3, 4, 5, 6]
    assert state.open_alarm("gas_level") is None


def test_a_new_occurrence_after_close_is_a_new_alarm():
    ctx = context()
    state, first = raised(ctx)
    state = gone(ctx, state)
    state, _ = handled(ctx, state, first.alarm_id, "acknowledge", "dispatch", "resolve", "close")
    _, events = apply_decision(state, ctx, GAS_L1, trigger(600))
    assert isinstance(events[0], AlarmRaised)
    assert events[0].alarm_id != first.alarm_id


@pytest.mark.parametrize(
    ("done", "kind"),
    [
        ((), "dispatch"),
        ((), "resolve"),
        ((), "close"),
        (("acknowledge",), "acknowledge"),
        (("acknowledge",), "close"),
        (("acknowledge", "dispatch"), "close"),
        (("acknowledge", "dispatch", "resolve", "close"), "acknowledge"),
    ],
)
def test_a_command_in_the_wrong_state_is_rejected_on_the_alarm(done, kind):
    ctx = context()
    state, first = raised(ctx, Detected("trapped", Severity.RED))
    state, before = handled(ctx, state, first.alarm_id, *done)
    _, events = handled(ctx, state, first.alarm_id, kind)
    assert len(events) == 1 and isinstance(events[0], CommandRejected)
    assert events[0].reason.startswith("wrong_state")
    assert events[0].seq == 2 + len(before)


def test_a_command_for_an_unknown_alarm_is_rejected_outside_any_history():
    ctx = context()
    _, events = handled(ctx, DeviceAlarms(), rid(), "acknowledge")
    assert isinstance(events[0], CommandRejected)
    assert (events[0].reason, events[0].seq) == ("unknown_alarm", 0)


@pytest.mark.parametrize(
    ("role", "kind"),
    [("regulator", "acknowledge"), ("monitor", "supervise"), ("enterprise", "close")],
)
def test_a_role_without_the_right_is_rejected(role, kind):
    ctx = context()
    state, first = raised(ctx)
    _, events = apply_command(state, ctx, command(ctx, kind, first.alarm_id, role=role))
    assert isinstance(events[0], CommandRejected)
    assert events[0].reason.startswith("role_not_allowed")


def test_an_actor_outside_the_jurisdiction_is_rejected():
    ctx = context()
    state, first = raised(ctx)
    ack = command(ctx, "acknowledge", first.alarm_id)
    elsewhere = ack.actor.model_copy(update={"scope": "440106001"})
    _, events = apply_command(state, ctx, ack.model_copy(update={"actor": elsewhere}))
    assert rejection(events).reason == "out_of_scope"


def test_resolving_without_a_cause_is_rejected():
    ctx = context()
    state, first = raised(ctx)
    state, _ = handled(ctx, state, first.alarm_id, "acknowledge", "dispatch")
    _, events = apply_command(state, ctx, command(ctx, "resolve", first.alarm_id))
    assert rejection(events).reason == "cause_required"


def test_a_regulator_puts_an_alarm_under_supervision_once():
    ctx = context()
    state, first = raised(ctx)
    state, events = apply_command(
        state, ctx, command(ctx, "supervise", first.alarm_id, "regulator")
    )
    _, again = apply_command(state, ctx, command(ctx, "supervise", first.alarm_id, "regulator"))
    assert isinstance(events[0], Supervised)
    assert rejection(again).reason == "already_supervised"


def test_a_redelivered_command_yields_nothing_the_second_time():
    ctx = context()
    state, first = raised(ctx)
    ack = command(ctx, "acknowledge", first.alarm_id)
    state, events = apply_command(state, ctx, ack)
    assert apply_command(state, ctx, ack) == (state, [])
    assert isinstance(events[0], Acknowledged)


def test_the_same_input_twice_yields_identical_events():
    ctx = context()
    cause = trigger()
    _, once = apply_decision(DeviceAlarms(), ctx, GAS_L1, cause)
    _, twice = apply_decision(DeviceAlarms(), ctx, GAS_L1, cause)
    assert once == twice


def test_an_alarm_inside_a_maintenance_window_is_raised_suppressed():
    ctx = context()
    window = MaintenanceWindow(
        window_id=rid(), start=at(0), end=at(0) + timedelta(hours=2), reason="calibration"
    )
    declare = command(
        ctx, "declare_maintenance", None, role="enterprise", seconds=-60, window=window
    )
    state, declared = apply_command(DeviceAlarms(), ctx, declare)
    state, events = apply_decision(state, ctx, GAS_L1, trigger(60))
    assert declared == []
    assert [type(e) for e in events] == [AlarmRaised, Suppressed]
    assert isinstance(events[0], AlarmRaised)
    assert events[0].suppressed_window == window.window_id
    assert [e.seq for e in events] == [1, 2]


def test_an_alarm_after_the_window_is_not_suppressed():
    ctx = context()
    window = MaintenanceWindow(window_id=rid(), start=at(0), end=at(60), reason="works")
    declare = command(ctx, "declare_maintenance", None, role="enterprise", window=window)
    state, _ = apply_command(DeviceAlarms(), ctx, declare)
    _, events = apply_decision(state, ctx, GAS_L1, trigger(61))
    assert [type(e) for e in events] == [AlarmRaised]


def test_a_monitor_may_not_declare_maintenance():
    ctx = context()
    window = MaintenanceWindow(window_id=rid(), start=at(0), end=at(60), reason="works")
    declare = command(ctx, "declare_maintenance", None, role="monitor", window=window)
    state, events = apply_command(DeviceAlarms(), ctx, declare)
    assert state.windows == ()
    assert isinstance(events[0], CommandRejected) and events[0].seq == 0
