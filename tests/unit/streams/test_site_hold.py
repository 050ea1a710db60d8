"""At a site of several devices, a device's offline alarm waits briefly for the site's verdict:
covered by the site alarm it is raised inhibited (one alarm for the monitor, not N);
otherwise it is raised as if it had never waited (same ids, dated by its deadline)."""

from __future__ import annotations

from datetime import datetime

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
from streams.handlers import DeviceHandler, Emission, SiteHandler
from streams.messages import ClockTick, Presence, SiteCovered, encode
from streams.profiles import DeviceSpec
from streams.rules.site import SiteState, next_release

from .factories import at, rid
from .readings import envelope

HOLD_S = 3.0
HOLD_MAX_S = 30.0


def site(devices: int) -> tuple[DeviceHandler, str, list[str]]:
    enterprise, ids = rid(), [rid() for _ in range(devices)]
    specs = [DeviceSpec(d, enterprise, Family.GAS) for d in ids]
    directory = StaticDirectory(specs, site_hold_s=HOLD_S, site_hold_max_s=HOLD_MAX_S)
    return DeviceHandler(directory), enterprise, ids


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
    assert Presence.model_validate_json(went.presence[0][1]).held == at(30)
    profile = handler.directory.profile(device, Family.GAS)
    # Its own clock only bounds the wait: the site's verdict (or release) ends it.
    assert next_deadline(state, profile) == at(30 + HOLD_MAX_S)


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


def test_released_by_its_site_it_is_raised_plainly_with_the_same_alarm_id() -> None:
    handler, enterprise, (device, _) = site(2)
    held, _ = clock(handler, seen_at_zero(handler, device, enterprise), device, 31)
    _, early = clock(handler, held, device, 30 + HOLD_S + 5)
    assert early.events == []  # the site's clock decides, not its own
    _, released = handler.verdict(device, False, held)
    _, covered = handler.verdict(device, True, held)
    assert [type(e) for e in released.events] == [AlarmRaised]
    plain = released.events[0]
    assert isinstance(plain, AlarmRaised) and plain.suppressed_window is None
    assert plain.occurred_at == at(30) and plain.alarm_id == covered.events[0].alarm_id


def test_without_any_verdict_it_is_raised_plainly_after_the_longest_wait() -> None:
    handler, enterprise, (device, _) = site(2)
    held, _ = clock(handler, seen_at_zero(handler, device, enterprise), device, 31)
    _, early = clock(handler, held, device, 30 + HOLD_MAX_S - 0.5)
    assert early.events == []
    state, late = clock(handler, held, device, 30 + HOLD_MAX_S)
    assert [type(e) for e in late.events] == [AlarmRaised]
    _, after = handler.verdict(device, False, state)
    assert after.events == []  # a late release changes nothing


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


def test_the_site_holds_a_device_until_its_wait_ends_then_releases_it_unless_covered() -> None:
    sites = SiteHandler(StaticDirectory(site_hold_s=HOLD_S))
    enterprise, (first, second, third) = rid(), [rid() for _ in range(3)]
    state = SiteState()
    for device in (first, second, third):
        state, _ = sites.presence("p", state, _presence(enterprise, device, True, at(0)))
    state, out = sites.presence("p", state, _presence(enterprise, first, False, at(30)))
    assert out.covered == [] and state.held == {first: at(30 + HOLD_S)}
    assert next_release(state) == at(30 + HOLD_S)
    state, early = sites.clock(enterprise, state, at(30 + HOLD_S - 0.1))
    assert early.released == []
    state, out = sites.presence("p", state, _presence(enterprise, second, False, at(31)))
    state, due = sites.clock(enterprise, state, at(30 + HOLD_S))
    # The third still reports: the first is offline on its own; the second waits on.
    assert due.released == [(first, enterprise)] and set(state.held) == {second}
    state, out = sites.presence("p", state, _presence(enterprise, third, False, at(32)))
    assert [k for k, _ in out.ticks] == [f"site:{enterprise}"]  # the site alarm
    assert sorted(out.covered) == sorted((d, enterprise) for d in (first, second, third))
    assert state.held == {}
    _, later = sites.clock(enterprise, state, at(100))
    assert later.released == []


def _presence(enterprise: str, device: str, online: bool, held_at: datetime) -> bytes:
    return encode(Presence(
        enterprise_id=enterprise, division="330106001001", family=Family.GAS, device_id=device,
        online=online, at=at(0), cause_id=rid(), held=None if online else held_at,
    ))
