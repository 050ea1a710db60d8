from __future__ import annotations

from datetime import timedelta

from schemas.events import AlarmEvent, Escalated
from schemas.families import Severity
from streams.alarms.commands import apply_command
from streams.alarms.detections import apply_decision
from streams.alarms.escalation import apply_escalations, has_overdue
from streams.alarms.records import DeviceAlarms, DeviceContext, Trigger
from streams.rules.decisions import Detected

from .factories import T0, command, context, rid


def red_alarm(ctx: DeviceContext) -> tuple[DeviceAlarms, AlarmEvent]:
    detection = Detected("fire_alarm", Severity.RED)
    state, events = apply_decision(DeviceAlarms(), ctx, detection, Trigger(rid(), T0))
    return state, events[0]


def test_a_red_alarm_not_acknowledged_in_five_minutes_escalates_to_the_county():
    ctx = context()
    state, _ = red_alarm(ctx)
    assert not has_overdue(state, T0 + timedelta(minutes=4, seconds=59))
    state, events = apply_escalations(state, ctx, T0 + timedelta(minutes=5))
    escalated = events[0]
    assert len(events) == 1 and isinstance(escalated, Escalated)
    assert (escalated.level, escalated.reason, escalated.seq) == ("county", "ack_overdue", 2)
    assert events[0].occurred_at == T0 + timedelta(minutes=5)
    assert apply_escalations(state, ctx, T0 + timedelta(minutes=6))[1] == []


def test_an_unresolved_alarm_escalates_again_to_the_city():
    ctx = context()
    state, _ = red_alarm(ctx)
    state, events = apply_escalations(state, ctx, T0 + timedelta(hours=3))
    assert [(e.level, e.reason) for e in events if isinstance(e, Escalated)] == [
        ("county", "ack_overdue"),
        ("city", "resolve_overdue"),
    ]
    assert [e.seq for e in events] == [2, 3]


def test_an_acknowledged_alarm_does_not_escalate_for_acknowledgement():
    ctx = context()
    state, first = red_alarm(ctx)
    state, _ = apply_command(state, ctx, command(ctx, "acknowledge", first.alarm_id, seconds=60))
    _, events = apply_escalations(state, ctx, T0 + timedelta(minutes=30))
    assert events == []


def test_escalation_events_do_not_depend_on_when_the_timer_noticed():
    ctx = context()
    state, _ = red_alarm(ctx)
    early = apply_escalations(state, ctx, T0 + timedelta(minutes=5))[1]
    late = apply_escalations(state, ctx, T0 + timedelta(minutes=9))[1]
    assert early == late
