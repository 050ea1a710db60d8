"""Supervision (挂牌督办): put on by a regulator with a deadline, lifted only by the county."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schemas.commands import Actor, AlarmCommand, Role
from schemas.events import AlarmEvent, CommandRejected, Supervised, SupervisionLifted
from schemas.families import Severity
from streams.alarms.commands import apply_command
from streams.alarms.detections import apply_decision
from streams.alarms.records import DeviceAlarms, DeviceContext, Trigger
from streams.projections import fold_alarms
from streams.rules.decisions import Detected

from .factories import DIVISION, at, command, context, rid


def open_alarm(ctx: DeviceContext) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    return apply_decision(
        DeviceAlarms(), ctx, Detected("trapped", Severity.RED), Trigger(rid(), at(0))
    )


def lift(ctx: DeviceContext, alarm_id: str, role: Role, scope: str) -> AlarmCommand:
    base = command(ctx, "lift_supervision", alarm_id, role=role, seconds=600)
    return base.model_copy(update={"actor": Actor(subject=rid(), role=role, scope=scope)})


def supervised(ctx: DeviceContext) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    state, events = open_alarm(ctx)
    put = command(ctx, "supervise", events[0].alarm_id, role="regulator").model_copy(
        update={"due_at": at(60) + timedelta(days=3)}
    )
    state, more = apply_command(state, ctx, put)
    return state, [*events, *more]


def test_a_supervision_carries_the_regulators_deadline_into_the_event_and_the_view():
    ctx = context()
    _, events = supervised(ctx)
    put = events[-1]
    assert isinstance(put, Supervised) and put.due_at == at(60) + timedelta(days=3)
    view = fold_alarms(events)[events[0].alarm_id]
    assert view.supervised and view.supervision_due_at == at(60) + timedelta(days=3)


@pytest.mark.parametrize(
    ("role", "scope"), [("regulator", DIVISION[:6]), ("regulator", DIVISION[:4]), ("admin", "")]
)
def test_the_county_or_an_admin_lifts_a_supervision(role: Role, scope: str):
    ctx = context()
    state, events = supervised(ctx)
    state, lifted = apply_command(state, ctx, lift(ctx, events[0].alarm_id, role, scope))
    assert len(lifted) == 1 and isinstance(lifted[0], SupervisionLifted)
    assert lifted[0].seq == 3
    view = fold_alarms([*events, *lifted])[events[0].alarm_id]
    assert (view.supervised, view.supervision_due_at) == (False, None)
    record = state.find(events[0].alarm_id)
    assert record is not None and not record.supervised


@pytest.mark.parametrize(
    ("role", "scope"),
    [("monitor", DIVISION[:9]), ("regulator", DIVISION[:9]), ("enterprise", "E1")],
)
def test_anyone_but_the_county_is_refused_as_not_county(role: Role, scope: str):
    ctx = context()
    state, events = supervised(ctx)
    state, refused = apply_command(state, ctx, lift(ctx, events[0].alarm_id, role, scope))
    assert len(refused) == 1 and isinstance(refused[0], CommandRejected)
    assert refused[0].reason == "not_county"
    record = state.find(events[0].alarm_id)
    assert record is not None and record.supervised


def test_a_county_of_another_jurisdiction_is_out_of_scope():
    ctx = context()
    state, events = supervised(ctx)
    _, refused = apply_command(state, ctx, lift(ctx, events[0].alarm_id, "regulator", "440106"))
    assert isinstance(refused[0], CommandRejected) and refused[0].reason == "out_of_scope"


def test_lifting_an_alarm_not_under_supervision_is_rejected_and_it_may_be_supervised_again():
    ctx = context()
    state, events = open_alarm(ctx)
    alarm = events[0].alarm_id
    state, refused = apply_command(state, ctx, lift(ctx, alarm, "regulator", DIVISION[:6]))
    assert isinstance(refused[0], CommandRejected) and refused[0].reason == "not_supervised"
    state, _ = apply_command(state, ctx, command(ctx, "supervise", alarm, role="regulator"))
    state, _ = apply_command(state, ctx, lift(ctx, alarm, "regulator", DIVISION[:6]))
    _, again = apply_command(state, ctx, command(ctx, "supervise", alarm, role="regulator"))
    assert isinstance(again[0], Supervised) and again[0].due_at is None


def test_a_deadline_already_passed_is_refused():
    ctx = context()
    state, events = open_alarm(ctx)
    put = command(ctx, "supervise", events[0].alarm_id, role="regulator", seconds=60)
    _, refused = apply_command(state, ctx, put.model_copy(update={"due_at": at(30)}))
    assert isinstance(refused[0], CommandRejected) and refused[0].reason == "due_at_passed"


def test_only_supervise_takes_a_deadline():
    ctx = context()
    with pytest.raises(ValueError, match="due_at"):
        AlarmCommand.model_validate(
            {
                **command(ctx, "acknowledge", rid()).model_dump(),
                "due_at": at(90),
            }
        )
