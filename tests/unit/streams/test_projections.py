from __future__ import annotations

from datetime import timedelta

from schemas.events import AlarmEvent, Suppressed
from schemas.families import Severity
from streams.alarms.commands import apply_command
from streams.alarms.detections import apply_decision
from streams.alarms.presence import came_online, went_offline
from streams.alarms.records import DeviceAlarms, DeviceContext, Trigger
from streams.projections import (
    apply_alarm,
    apply_device,
    fold_alarms,
    fold_devices,
    fold_intervals,
)
from streams.rules.decisions import Cleared, Decision, Detected

from .factories import at, command, context, rid


def lifecycle(ctx: DeviceContext) -> list[AlarmEvent]:
    state, events = DeviceAlarms(), list[AlarmEvent]()
    steps: list[tuple[float, Decision]] = [
        (0, Detected("gas_level", Severity.ORANGE, 30.0, 25.0)),
        (5, Detected("gas_level", Severity.RED, 55.0, 50.0)),
        (60, Cleared("gas_level", 2.0)),
    ]
    for seconds, decision in steps:
        state, new = apply_decision(state, ctx, decision, Trigger(rid(), at(seconds)))
        events.extend(new)
    alarm_id = events[0].alarm_id
    for kind in ("acknowledge", "dispatch", "resolve", "close"):
        state, new = apply_command(
            state, ctx, command(ctx, kind, alarm_id, cause="false_alarm", seconds=120)
        )
        events.extend(new)
    return events


def test_folding_a_lifecycle_gives_the_closed_alarm_with_every_step_dated():
    ctx = context()
    events = lifecycle(ctx)
    view = fold_alarms(events)[events[0].alarm_id]
    assert (view.state, view.severity, view.cleared, view.cause) == (
        "closed",
        Severity.RED,
        True,
        "false_alarm",
    )
    assert view.last_seq == len(events)
    assert view.raised_at == at(0) and view.closed_at == at(120)
    assert view.device_id == ctx.device_id and view.division == ctx.division


def test_applying_an_event_twice_changes_nothing():
    events = lifecycle(context())
    view = None
    for event in events:
        view = apply_alarm(view, event)
        assert apply_alarm(view, event) == view


def test_an_event_of_an_alarm_never_raised_has_no_view():
    ctx = context()
    _, events = apply_command(DeviceAlarms(), ctx, command(ctx, "acknowledge", rid()))
    assert apply_alarm(None, events[0]) is None
    assert fold_alarms(events) == {}


def test_a_suppressed_alarm_is_shown_as_suppressed():
    ctx = context()
    raised = lifecycle(ctx)[0]
    suppressed = Suppressed(
        **{
            **raised.model_dump(
                exclude={
                    "type",
                    "value",
                    "threshold",
                    "message",
                    "source_received_at",
                    "suppressed_window",
                    "follows_alarm_id",
                }
            ),
            "seq": 2,
            "event_id": rid(),
            "window_id": "w",
            "reason": "r",
        }
    )
    assert fold_alarms([raised, suppressed])[raised.alarm_id].suppressed


def offline_events(ctx: DeviceContext, episodes: int) -> list[AlarmEvent]:
    """Episodes of 50 s every 100 s, as the worker announces them."""
    events: list[AlarmEvent] = []
    for episode in range(episodes):
        start = at(episode * 100)
        events.append(went_offline(ctx, start, start - timedelta(seconds=30), 30.0))
        events.append(came_online(ctx, start, at(episode * 100 + 50), rid()))
    return events


def test_device_status_follows_presence_events_and_counts_episodes():
    ctx = context()
    events = offline_events(ctx, 2)
    view = fold_devices(events)[ctx.device_id]
    assert view.online and view.offline_episodes == 2
    assert view.last_offline_at == at(100) and view.since == at(150)
    assert fold_devices(events[:3])[ctx.device_id].online is False


def test_a_redelivered_presence_event_is_not_a_second_episode_nor_a_second_return():
    ctx = context()
    went, back = offline_events(ctx, 1)
    view = apply_device(apply_device(None, went), went)
    assert view is not None and not view.online and view.offline_episodes == 1
    view = apply_device(apply_device(view, back), went)
    assert view is not None and view.online and view.offline_episodes == 1


def test_offline_alarms_leave_device_status_alone():
    ctx = context()
    _, events = apply_decision(
        DeviceAlarms(), ctx, Detected("offline", Severity.YELLOW), Trigger(rid(), at(0))
    )
    assert fold_devices(events) == {}


def test_offline_intervals_open_with_an_episode_and_close_when_the_device_returns():
    ctx = context()
    events = offline_events(ctx, 2)
    intervals = fold_intervals(events[:3])
    assert sorted((i.started_at, i.ended_at) for i in intervals.values()) == [
        (at(0), at(50)),
        (at(100), None),
    ]
    assert all(i.device_id == ctx.device_id for i in intervals.values())


def test_events_of_other_conditions_leave_device_status_alone():
    ctx = context()
    assert fold_devices(lifecycle(ctx)) == {}
