from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from schemas.deadlines import Deadlines
from schemas.events import AlarmEvent, Escalated
from schemas.families import Severity
from streams.alarms.commands import apply_command
from streams.alarms.detections import apply_decision
from streams.alarms.escalation import apply_escalations, has_overdue, next_escalation
from streams.alarms.records import DeviceAlarms, DeviceContext, Trigger
from streams.rules.decisions import Detected

from .factories import T0, command, context, rid

DOMAIN = Deadlines()


def alarm(ctx: DeviceContext, severity: Severity = Severity.RED) -> tuple[DeviceAlarms, AlarmEvent]:
    detection = Detected("fire_alarm", severity)
    state, events = apply_decision(DeviceAlarms(), ctx, detection, Trigger(rid(), T0))
    return state, events[0]


def test_a_red_alarm_not_acknowledged_in_five_minutes_escalates_to_the_county():
    ctx = context()
    state, _ = alarm(ctx)
    assert not has_overdue(state, T0 + timedelta(minutes=4, seconds=59), DOMAIN)
    state, events = apply_escalations(state, ctx, T0 + timedelta(minutes=5), DOMAIN)
    escalated = events[0]
    assert len(events) == 1 and isinstance(escalated, Escalated)
    assert (escalated.level, escalated.reason, escalated.seq) == ("county", "ack_overdue", 2)
    assert events[0].occurred_at == T0 + timedelta(minutes=5)
    assert apply_escalations(state, ctx, T0 + timedelta(minutes=6), DOMAIN)[1] == []


def test_an_unresolved_alarm_escalates_again_to_the_city():
    ctx = context()
    state, _ = alarm(ctx)
    state, events = apply_escalations(state, ctx, T0 + timedelta(hours=3), DOMAIN)
    assert [(e.level, e.reason) for e in events if isinstance(e, Escalated)] == [
        ("county", "ack_overdue"),
        ("city", "resolve_overdue"),
    ]
    assert [e.seq for e in events] == [2, 3]


def test_an_acknowledged_alarm_does_not_escalate_for_acknowledgement():
    ctx = context()
    state, first = alarm(ctx)
    state, _ = apply_command(state, ctx, command(ctx, "acknowledge", first.alarm_id, seconds=60))
    _, events = apply_escalations(state, ctx, T0 + timedelta(minutes=30), DOMAIN)
    assert events == []


def test_a_missed_resolution_goes_to_the_city_even_when_the_acknowledgement_was_in_time():
    ctx = context()
    state, first = alarm(ctx)
    state, _ = apply_command(state, ctx, command(ctx, "acknowledge", first.alarm_id, seconds=60))
    _, events = apply_escalations(state, ctx, T0 + timedelta(hours=2), DOMAIN)
    assert [(e.level, e.reason) for e in events if isinstance(e, Escalated)] == [
        ("city", "resolve_overdue")
    ]


def test_escalation_events_do_not_depend_on_when_the_timer_noticed():
    ctx = context()
    state, _ = alarm(ctx)
    early = apply_escalations(state, ctx, T0 + timedelta(minutes=5), DOMAIN)[1]
    late = apply_escalations(state, ctx, T0 + timedelta(minutes=9), DOMAIN)[1]
    assert early == late


def test_configured_deadlines_replace_the_domain_defaults():
    ctx = context()
    short = Deadlines(red_ack_s=3, red_resolve_s=10)
    state, _ = alarm(ctx)
    assert next_escalation(state.alarms[0], short) == T0 + timedelta(seconds=3)
    state, events = apply_escalations(state, ctx, T0 + timedelta(seconds=3), short)
    assert [(e.reason, e.occurred_at) for e in events if isinstance(e, Escalated)] == [
        ("ack_overdue", T0 + timedelta(seconds=3))
    ]
    assert next_escalation(state.alarms[0], short) == T0 + timedelta(seconds=10)


def test_blue_alarms_never_escalate_unless_their_deadlines_are_set():
    ctx = context()
    state, _ = alarm(ctx, Severity.BLUE)
    assert apply_escalations(state, ctx, T0 + timedelta(days=30), DOMAIN)[1] == []
    blue = Deadlines(blue_ack_s=60, blue_resolve_s=600)
    _, events = apply_escalations(state, ctx, T0 + timedelta(minutes=1), blue)
    assert [e.reason for e in events if isinstance(e, Escalated)] == ["ack_overdue"]


def test_the_defaults_are_those_of_the_domain():
    assert DOMAIN.for_severity(Severity.RED) == (timedelta(minutes=5), timedelta(hours=2))
    assert DOMAIN.for_severity(Severity.ORANGE) == (timedelta(minutes=15), timedelta(hours=24))
    assert DOMAIN.for_severity(Severity.YELLOW) == (timedelta(hours=1), timedelta(hours=72))
    assert DOMAIN.for_severity(Severity.BLUE) is None


def test_deadlines_are_read_from_hw_deadline_variables():
    env = {"HW_DEADLINE_RED_ACK_S": "3", "HW_DEADLINE_RED_RESOLVE_S": "7.5", "HW_OTHER": "x"}
    read = Deadlines.from_env(env)
    assert read.for_severity(Severity.RED) == (timedelta(seconds=3), timedelta(seconds=7.5))
    assert read.for_severity(Severity.ORANGE) == DOMAIN.for_severity(Severity.ORANGE)


def test_the_process_environment_is_read_when_no_mapping_is_given(monkeypatch):
    monkeypatch.setenv("HW_DEADLINE_YELLOW_ACK_S", "120")
    assert Deadlines.from_env().yellow_ack_s == 120


@pytest.mark.parametrize(
    "env",
    [
        {"HW_DEADLINE_BLUE_ACK_S": "60"},  # one limit of a pair
        {"HW_DEADLINE_RED_RESOLVE_S": "60"},  # resolve before ack
        {"HW_DEADLINE_ORANGE_ACK_S": "-1"},
        {"HW_DEADLINE_ORANGE_ACK_S": "soon"},
    ],
)
def test_inconsistent_deadlines_are_refused_at_startup(env):
    with pytest.raises(ValidationError):
        Deadlines.from_env(env)
