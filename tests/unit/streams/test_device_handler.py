from __future__ import annotations

from collections.abc import Sequence

import pytest

from schemas.events import (
    AlarmEvent,
    AlarmRaised,
    ConditionCleared,
    DeviceCameOnline,
    DeviceWentOffline,
    SeverityChanged,
)
from schemas.families import Family, Severity
from streams.device import DeviceState, next_deadline
from streams.directory import StaticDirectory
from streams.errors import UndecodableMessage, UnknownDevice
from streams.handlers import DeviceHandler, Emission, SiteHandler
from streams.messages import (
    ClockTick,
    InterlockDemand,
    Presence,
    SiteDecision,
    encode,
    parse_tick,
)
from streams.profiles import DeviceSpec
from streams.rules.site import SiteState

from .factories import at, command, context, rid
from .readings import envelope

TOPIC = "t.hw.readings.v1"


def feed(
    handler: DeviceHandler,
    state: DeviceState,
    device_id: str,
    enterprise_id: str,
    values: Sequence[tuple[float, object]],
    start_seq: int = 1,
    family: str = "gas",
    key: str = "concentration",
) -> tuple[DeviceState, list[AlarmEvent], list[Emission]]:
    events: list[AlarmEvent] = []
    emissions: list[Emission] = []
    for offset, (seconds, value) in enumerate(values):
        raw = envelope(device_id, enterprise_id, start_seq + offset, seconds, {key: value}, family)
        state, emission = handler.reading(TOPIC, state, raw)
        events.extend(emission.events)
        emissions.append(emission)
    return state, events, emissions


def test_a_leak_rising_through_both_levels_is_one_alarm_with_one_severity_change():
    handler = DeviceHandler(StaticDirectory())
    values = [(float(s), v) for s, v in enumerate([5, 15, 30, 40, 52, 55, 57, 58, 60, 61, 62])]
    _, events, _ = feed(handler, DeviceState(), rid(), rid(), values)
    assert [type(e) for e in events] == [AlarmRaised, SeverityChanged]
    assert isinstance(events[1], SeverityChanged) and events[1].to_severity == Severity.RED
    assert {e.alarm_id for e in events} == {events[0].alarm_id}


def test_duplicate_and_older_readings_are_dropped_and_say_why():
    handler = DeviceHandler(StaticDirectory())
    device, enterprise = rid(), rid()
    state, _, _ = feed(handler, DeviceState(), device, enterprise, [(0, 1.0), (1, 2.0)])
    payload = {"concentration": 90}
    _, same = handler.reading(TOPIC, state, envelope(device, enterprise, 2, 1, payload))
    _, older = handler.reading(TOPIC, state, envelope(device, enterprise, 1, 0, payload))
    assert (same.dropped, older.dropped) == ("duplicate", "out_of_order")
    assert same.events == older.events == []


def test_registry_thresholds_override_the_defaults():
    device, enterprise = rid(), rid()
    spec = DeviceSpec(device, enterprise, Family.GAS, thresholds={"level1": 10.0, "level2": 20.0})
    handler = DeviceHandler(StaticDirectory([spec]))
    _, events, _ = feed(handler, DeviceState(), device, enterprise, [(0, 12.0)])
    assert isinstance(events[0], AlarmRaised) and events[0].threshold == 10.0


def test_a_silent_device_goes_offline_on_a_clock_tick_and_back_with_its_next_reading():
    handler = DeviceHandler(StaticDirectory())
    device, enterprise = rid(), rid()
    state, _, first = feed(handler, DeviceState(), device, enterprise, [(0, 1.0)])
    assert first[0].presence  # first sighting is announced to the site aggregation
    tick = encode(ClockTick(device_id=device, now=at(31)))
    state, went = handler.tick("ticks", state, tick)
    assert [type(e) for e in went.events] == [DeviceWentOffline, AlarmRaised]
    assert [e.condition for e in went.events] == ["presence", "offline"]
    assert {e.occurred_at for e in went.events} == {at(30)}
    _, again = handler.tick("ticks", state, tick)
    assert again.events == []
    state, back, _ = feed(handler, state, device, enterprise, [(40, 1.0)], start_seq=2)
    assert [type(e) for e in back] == [DeviceCameOnline, ConditionCleared]
    assert (back[0].alarm_id, back[0].seq) == (went.events[0].alarm_id, 2)


def test_the_next_deadline_is_the_offline_deadline_of_a_quiet_device():
    handler = DeviceHandler(StaticDirectory())
    device = rid()
    state, _, _ = feed(handler, DeviceState(), device, rid(), [(0, 1.0)])
    profile = handler.directory.profile(device, Family.GAS)
    assert next_deadline(state, profile) == at(30)


def test_level_two_gas_asks_its_interlocked_valve_to_close():
    device, valve, enterprise = rid(), rid(), rid()
    spec = DeviceSpec(device, enterprise, Family.GAS, interlock=valve)
    handler = DeviceHandler(StaticDirectory([spec]))
    _, _, emissions = feed(handler, DeviceState(), device, enterprise,
                           [(0, 60.0), (5, 60.0)])
    demands = [parse_tick(v) for e in emissions for k, v in e.ticks if k == valve]
    assert len(demands) == 1 and isinstance(demands[0], InterlockDemand)


def test_a_valve_not_closing_after_a_demand_raises_interlock_failure_on_the_valve():
    handler = DeviceHandler(StaticDirectory())
    valve, enterprise = rid(), rid()
    state, _, _ = feed(handler, DeviceState(), valve, enterprise, [(0, "open")],
                       family="shutoff", key="state")
    demand = InterlockDemand(device_id=valve, detector_id=rid(), at=at(1),
                             enterprise_id=enterprise, division="330106001001")
    state, _ = handler.tick("ticks", state, encode(demand))
    state, emission = handler.tick("ticks", state, encode(ClockTick(device_id=valve, now=at(12))))
    assert [e.condition for e in emission.events] == ["interlock_failure"]
    assert emission.events[0].severity == Severity.RED


def test_a_command_for_a_device_never_seen_is_an_error_to_dead_letter():
    handler = DeviceHandler(StaticDirectory())
    ctx = context()
    with pytest.raises(UnknownDevice):
        raw = command(ctx, "acknowledge", rid()).model_dump_json().encode()
        handler.command("cmds", DeviceState(), raw)


def test_garbage_is_an_undecodable_message():
    handler = DeviceHandler(StaticDirectory())
    with pytest.raises(UndecodableMessage):
        handler.reading(TOPIC, DeviceState(), b"{not json")


def test_the_last_device_of_a_site_going_offline_sends_one_site_decision_and_covers_all():
    sites = SiteHandler(StaticDirectory())
    enterprise, devices = rid(), [rid() for _ in range(3)]
    state, sent, covers = SiteState(), [], []
    for device in devices:
        state, _ = sites.presence("p", state, _presence(enterprise, device, True))
    for device in devices:
        state, output = sites.presence("p", state, _presence(enterprise, device, False))
        sent.extend(output.ticks)
        covers.extend(output.covered)
    decisions = [(key, parse_tick(raw)) for key, raw in sent]
    site_decisions = [(k, d) for k, d in decisions if isinstance(d, SiteDecision)]
    assert len(site_decisions) == 1
    key, decision = site_decisions[0]
    assert key == f"site:{enterprise}" and isinstance(decision, SiteDecision) and decision.raised
    assert sorted(covers) == sorted((d, enterprise) for d in devices)


def test_a_site_decision_raises_the_site_alarm_on_the_site_key():
    handler = DeviceHandler(StaticDirectory())
    enterprise = rid()
    decision = SiteDecision(device_id=f"site:{enterprise}", enterprise_id=enterprise,
                            division="330106001001", family=Family.GAS, trigger_id=rid(),
                            at=at(0), raised=True, severity=Severity.ORANGE, value=3, threshold=3)
    _, emission = handler.tick("ticks", DeviceState(), encode(decision))
    assert [(e.condition, e.device_id) for e in emission.events] == [
        ("site_offline", f"site:{enterprise}")
    ]


def _presence(enterprise: str, device: str, online: bool) -> bytes:
    return encode(Presence(enterprise_id=enterprise, division="330106001001", family=Family.GAS,
                           device_id=device, online=online, at=at(0), cause_id=rid()))
