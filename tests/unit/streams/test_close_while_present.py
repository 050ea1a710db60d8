"""Closing an alarm whose condition is still present (DOMAIN section 3, issue 16 item 4)."""

from __future__ import annotations

from schemas.commands import CommandKind
from schemas.events import AlarmEvent, AlarmRaised, Closed, CommandRejected, SeverityChanged
from schemas.families import Family, Severity
from streams.alarms.commands import apply_command
from streams.alarms.detections import apply_decision, apply_follow_ups
from streams.alarms.records import DeviceAlarms, DeviceContext, Trigger
from streams.device import DeviceState
from streams.directory import StaticDirectory
from streams.handlers import DeviceHandler
from streams.profiles import profile_for
from streams.projections import fold_alarms
from streams.rules import discrete, interlock, offline, oxygen, site, tamper
from streams.rules.decisions import LASTING_CONDITIONS, Cleared, Detected

from .factories import at, command, context, rid
from .test_device_handler import feed

LEAK = Detected("gas_level", Severity.RED, 60.0, 50.0)


def handle(
    ctx: DeviceContext, state: DeviceAlarms, alarm_id: str, cause: str, *kinds: CommandKind
) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    events: list[AlarmEvent] = []
    for kind in kinds:
        cmd = command(ctx, kind, alarm_id, cause=cause)  # type: ignore[arg-type]
        state, new = apply_command(state, ctx, cmd)
        events += new
    return state, events


def leaking(ctx: DeviceContext) -> tuple[DeviceAlarms, str]:
    state, events = apply_decision(DeviceAlarms(), ctx, LEAK, Trigger(rid(), at(0)))
    return state, events[0].alarm_id


def test_closing_an_alarm_whose_gas_is_still_there_is_rejected_as_condition_active():
    ctx = context()
    state, alarm = leaking(ctx)
    state, events = handle(ctx, state, alarm, "real_leak", "acknowledge", "dispatch", "resolve")
    state, events = handle(ctx, state, alarm, "real_leak", "close")
    assert len(events) == 1 and isinstance(events[0], CommandRejected)
    assert (events[0].reason, events[0].seq) == ("condition_active", 5)
    record = state.find(alarm)
    assert record is not None and record.state == "resolved"


def test_once_the_condition_has_cleared_the_same_close_is_accepted():
    ctx = context()
    state, alarm = leaking(ctx)
    state, _ = handle(ctx, state, alarm, "real_leak", "acknowledge", "dispatch", "resolve")
    state, _ = apply_decision(state, ctx, Cleared("gas_level", 2.0), Trigger(rid(), at(50)))
    _, events = handle(ctx, state, alarm, "real_leak", "close")
    assert [type(e) for e in events] == [Closed]


def test_a_momentary_event_closes_without_any_clearing():
    ctx = context()
    state, events = apply_decision(
        DeviceAlarms(), ctx, Detected("trapped", Severity.RED), Trigger(rid(), at(0))
    )
    alarm = events[0].alarm_id
    _, events = handle(
        ctx, state, alarm, "real_leak", "acknowledge", "dispatch", "resolve", "close"
    )
    assert isinstance(events[-1], Closed)


def test_after_a_device_fault_the_close_stands_and_the_next_reading_raises_a_follow_up():
    ctx = context()
    state, alarm = leaking(ctx)
    kinds: tuple[CommandKind, ...] = ("acknowledge", "dispatch", "resolve", "close")
    state, events = handle(ctx, state, alarm, "device_fault", *kinds)
    assert isinstance(events[-1], Closed)
    state, events = apply_follow_ups(state, ctx, [], Trigger(rid(), at(300)))
    follow_up = events[0]
    assert len(events) == 1 and isinstance(follow_up, AlarmRaised)
    assert (follow_up.follows_alarm_id, follow_up.severity) == (alarm, Severity.RED)
    assert follow_up.alarm_id != alarm and follow_up.seq == 1
    # Only once: the follow-up is now the open alarm of the condition.
    assert apply_follow_ups(state, ctx, [], Trigger(rid(), at(301)))[1] == []


def test_after_maintenance_a_reading_that_clears_the_condition_raises_nothing():
    ctx = context()
    state, alarm = leaking(ctx)
    kinds: tuple[CommandKind, ...] = ("acknowledge", "dispatch", "resolve", "close")
    state, _ = handle(ctx, state, alarm, "maintenance", *kinds)
    state, events = apply_follow_ups(state, ctx, [Cleared("gas_level")], Trigger(rid(), at(9)))
    assert events == []
    assert apply_follow_ups(state, ctx, [], Trigger(rid(), at(10)))[1] == []


def test_a_detector_still_reading_high_after_a_device_fault_close_alarms_again():
    handler = DeviceHandler(StaticDirectory())
    device, enterprise = rid(), rid()
    high = [(float(s), 60.0) for s in range(8)]
    state, events, _ = feed(handler, DeviceState(), device, enterprise, high)
    alarm = events[0].alarm_id
    ctx = state.context(device)
    assert ctx is not None
    kinds: tuple[CommandKind, ...] = ("acknowledge", "dispatch", "resolve", "close")
    alarms, closing = handle(ctx, state.alarms, alarm, "device_fault", *kinds)
    assert isinstance(closing[-1], Closed)
    state = state.model_copy(update={"alarms": alarms})
    state, events, _ = feed(handler, state, device, enterprise, [(20.0, 61.0)], 9)
    assert [type(e) for e in events] == [AlarmRaised]
    raised = events[0]
    assert isinstance(raised, AlarmRaised) and raised.follows_alarm_id == alarm
    assert fold_alarms([*closing, raised])[raised.alarm_id].follows_alarm_id == alarm
    # Still the leak on the follow-up alarm: the gas rule goes on from where it was.
    _, events, _ = feed(handler, state, device, enterprise, [(21.0, 62.0)], 10)
    assert not [e for e in events if isinstance(e, AlarmRaised | SeverityChanged)]


def test_every_condition_a_rule_clears_counts_as_lasting_and_no_momentary_event_does():
    profile = profile_for(Family.GAS, None)
    fire = profile_for(Family.FIRE, None)
    cleared_by_rules = {
        *(rule.condition for rule in (*profile.thresholds.values(), *fire.thresholds.values())),
        oxygen.CONDITION, interlock.CONDITION, site.CONDITION, offline.CONDITION,
        tamper.FLATLINE, discrete.VALVE_FAULT,
    }  # fmt: skip
    assert cleared_by_rules == LASTING_CONDITIONS
    momentary = {rule.condition for rules in discrete.EVENT_RULES.values()
                 for rule in rules.values()} - {discrete.VALVE_FAULT}  # fmt: skip
    assert not momentary & LASTING_CONDITIONS


def test_the_follow_up_is_named_by_the_alarm_it_follows_not_by_the_reading():
    ctx = context()
    state, alarm = leaking(ctx)
    kinds: tuple[CommandKind, ...] = ("acknowledge", "dispatch", "resolve", "close")
    state, _ = handle(ctx, state, alarm, "device_fault", *kinds)
    _, one = apply_follow_ups(state, ctx, [], Trigger("reading|d|0", at(300)))
    _, other = apply_follow_ups(state, ctx, [], Trigger(rid(), at(300)))
    assert one == other and one[0].alarm_id != alarm
