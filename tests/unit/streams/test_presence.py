"""Device presence as events, independent of the offline alarm (issue 16 item 3)."""

from __future__ import annotations

from schemas.commands import CommandKind
from schemas.events import (
    AlarmEvent,
    AlarmRaised,
    Closed,
    DeviceCameOnline,
    DeviceWentOffline,
)
from streams.device import DeviceState
from streams.directory import StaticDirectory
from streams.handlers import DeviceHandler
from streams.messages import ClockTick, encode
from streams.projections import fold_devices, fold_intervals

from .factories import at, command, rid
from .test_device_handler import feed


def silent(
    handler: DeviceHandler, device: str, enterprise: str
) -> tuple[DeviceState, list[AlarmEvent]]:
    state, events, _ = feed(handler, DeviceState(), device, enterprise, [(0, 1.0)])
    tick = encode(ClockTick(device_id=device, now=at(45)))
    state, went = handler.tick("ticks", state, tick)
    return state, [*events, *went.events]


def test_a_device_whose_offline_alarm_was_closed_before_it_returned_is_online_again():
    handler, device, enterprise = DeviceHandler(StaticDirectory()), rid(), rid()
    state, log = silent(handler, device, enterprise)
    alarm = next(e.alarm_id for e in log if isinstance(e, AlarmRaised))
    ctx = state.context(device)
    assert ctx is not None
    kinds: tuple[CommandKind, ...] = ("acknowledge", "dispatch", "resolve", "close")
    for kind in kinds:
        raw = command(ctx, kind, alarm, cause="device_fault", seconds=40).model_dump_json()
        state, emission = handler.command("commands", state, raw.encode())
        log += emission.events
    assert isinstance(log[-1], Closed)
    assert not fold_devices(log)[device].online
    state, back, _ = feed(handler, state, device, enterprise, [(50, 1.0)], start_seq=2)
    # No alarm to clear and no follow-up (the reading ends the condition): only presence.
    assert [type(e) for e in back] == [DeviceCameOnline]
    status = fold_devices([*log, *back])[device]
    assert status.online and status.since == at(50) and status.offline_episodes == 1
    (interval,) = fold_intervals([*log, *back]).values()
    assert (interval.started_at, interval.ended_at) == (at(30), at(50))


def test_presence_events_have_the_same_ids_whichever_tick_noticed_the_silence():
    handler, device, enterprise = DeviceHandler(StaticDirectory()), rid(), rid()
    state, _, _ = feed(handler, DeviceState(), device, enterprise, [(0, 1.0)])
    _, early = handler.tick("ticks", state, encode(ClockTick(device_id=device, now=at(31))))
    _, late = handler.tick("ticks", state, encode(ClockTick(device_id=device, now=at(90))))
    first = [e for e in early.events if isinstance(e, DeviceWentOffline)]
    assert first == [e for e in late.events if isinstance(e, DeviceWentOffline)]
    assert (first[0].occurred_at, first[0].last_seen_at, first[0].seq) == (at(30), at(0), 1)
