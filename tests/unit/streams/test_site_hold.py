"""At a site of several devices, a device's offline alarm waits briefly for the site's verdict:
covered by the site alarm it is raised inhibited (one alarm for the monitor, not N);
otherwise it is raised as if it had never waited (same ids, dated by its deadline)."""

from __future__ import annotations

from schemas.events import (
    AlarmRaised,
    ConditionCleared,
    DeviceCameOnline,
    DeviceWentOffline,
    Suppressed,
)
from schemas.families import Family
from streams.device import DeviceState, next_deadline
from streams.directory import StaticDirectory
from streams.handlers import DeviceHandler, Emission
from streams.messages import ClockTick, Presence, SiteCovered, encode
from streams.profiles import DeviceSpec

from .factories import at, rid
from .readings import envelope

HOLD_S = 3.0


def site(devices: int) -> tuple[DeviceHandler, str, list[str]]:
    enterprise, ids = rid(), [rid() for _ in range(devices)]
    specs = [DeviceSpec(d, enterprise, Family.GAS) for d in ids]
    return DeviceHandler(StaticDirectory(specs, site_hold_s=HOLD_S)), enterprise, ids


def seen_at_zero(handler: DeviceHandler, device: str, enterprise: str) -> DeviceState:
    raw = envelope(device, enterprise, 1, 0, {"concentration": 1.0})
    state, _ = handler.reading("readings", DeviceState(), raw)
    return state


def clock(
    handler: DeviceHandler, state: DeviceState, device: str, seconds: float
) -> tuple[DeviceState, Emission]:
    return handler.tick("ticks", state, encode(ClockTick(device_id=device, now=at(seconds))))


def test_a_device_of_a_multi_device_site_announces_offline_but_holds_its_alarm() -> None:
    handler, enterprise, (device, _) = site(2)
    state = seen_at_zero(handler, device, enterprise)
    state, went = clock(handler, state, device, 31)
    # Its presence is a fact at once; only its alarm waits.
    assert [type(e) for e in went.events] == [DeviceWentOffline]
    assert went.presence and b'"online":false' in went.presence[0][1]
    assert state.offline_held == at(30)
    profile = handler.directory.profile(device, Family.GAS)
    assert next_deadline(state, profile) == at(30 + HOLD_S)


def test_covered_by_the_site_alarm_it_is_raised_suppressed_and_dated_by_its_deadline() -> None:
    handler, enterprise, (device, _) = site(2)
    state, _ = clock(handler, seen_at_zero(handler, device, enterprise), device, 31)
    cover = encode(SiteCovered(device_id=device, enterprise_id=enterprise))
    state, covered = handler.tick("ticks", state, cover)
    assert [type(e) for e in covered.events] == [AlarmRaised, Suppressed]
    raised = covered.events[0]
    assert isinstance(raised, AlarmRaised)
    assert raised.suppressed_window == f"site:{enterprise}" and raised.occurred_at == at(30)
    assert state.offline_held is None
    _, again = handler.tick("ticks", state, cover)
    assert again.events == []


def test_without_a_verdict_in_time_it_is_raised_plainly_with_the_same_alarm_id() -> None:
    handler, enterprise, (device, _) = site(2)
    held, _ = clock(handler, seen_at_zero(handler, device, enterprise), device, 31)
    _, early = clock(handler, held, device, 30 + HOLD_S - 0.5)
    assert early.events == []
    _, late = clock(handler, held, device, 30 + HOLD_S)
    cover = encode(SiteCovered(device_id=device, enterprise_id=enterprise))
    _, covered = handler.tick("ticks", held, cover)
    assert [type(e) for e in late.events] == [AlarmRaised]
    plain = late.events[0]
    assert isinstance(plain, AlarmRaised) and plain.suppressed_window is None
    assert plain.occurred_at == at(30) and plain.alarm_id == covered.events[0].alarm_id


def test_back_before_the_verdict_the_episode_is_raised_and_cleared() -> None:
    handler, enterprise, (device, _) = site(2)
    held, _ = clock(handler, seen_at_zero(handler, device, enterprise), device, 31)
    raw = envelope(device, enterprise, 2, 32, {"concentration": 1.0})
    state, back = handler.reading("readings", held, raw)
    assert [type(e) for e in back.events] == [AlarmRaised, DeviceCameOnline, ConditionCleared]
    assert back.events[0].occurred_at == at(30) and state.offline_held is None


def test_a_single_device_site_raises_offline_at_once() -> None:
    handler, enterprise, (device,) = site(1)
    state, went = clock(handler, seen_at_zero(handler, device, enterprise), device, 31)
    assert [type(e) for e in went.events] == [DeviceWentOffline, AlarmRaised]
    assert state.offline_held is None


def test_each_offline_episode_names_its_own_site_decision() -> None:
    # The site alarm's id comes from the presence message's cause: two outages of the same
    # site must not reuse one alarm id (its second raise would look like a redelivery).
    handler, enterprise, (device, _) = site(2)
    state, first = clock(handler, seen_at_zero(handler, device, enterprise), device, 31)
    raw = envelope(device, enterprise, 2, 40, {"concentration": 1.0})
    state, _ = handler.reading("readings", state, raw)
    _, second = clock(handler, state, device, 71)
    causes = [Presence.model_validate_json(e.presence[0][1]).cause_id for e in (first, second)]
    assert causes[0] != causes[1]
