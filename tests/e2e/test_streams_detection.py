"""Readings in on hw.readings.v1, alarm events out on hw.alarm-events.v1, through a real worker.

The ingest gateway is not in the path: envelopes are produced as the gateway produces them,
so these tests pin the stream worker's behaviour alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from schemas.events import (
    AlarmEvent,
    AlarmRaised,
    ConditionCleared,
    SeverityChanged,
    Suppressed,
)
from schemas.families import Severity
from tests.integration.streams.fixtures import StartWorker
from tests.integration.streams.harness import Wire, rid, write_registry

pytestmark = pytest.mark.e2e


def has(kind: type[AlarmEvent], device: str) -> Callable[[list[AlarmEvent]], bool]:
    return lambda events: any(isinstance(e, kind) and e.device_id == device for e in events)


def test_a_leak_rising_through_both_levels_gives_one_alarm_with_one_severity_change(
    start_worker: StartWorker, wire: Wire
) -> None:
    start_worker()
    device, enterprise = rid("gd-"), rid("E")
    for value in [5, 15, 30, 40]:
        wire.reading(device, enterprise, {"concentration": value, "unit": "%LEL"})
    wire.wait_for(has(AlarmRaised, device))
    # Level 2 must hold for raise_after_s (5 s) on the device clock.
    wire.report_until(
        device,
        enterprise,
        {"concentration": 58, "unit": "%LEL"},
        has(SeverityChanged, device),
        timeout=30,
    )
    wire.reading(device, enterprise, {"concentration": 62, "unit": "%LEL"})
    wire.settle()
    mine = wire.of(device)
    assert [type(e) for e in mine] == [AlarmRaised, SeverityChanged]
    change = mine[1]
    assert isinstance(change, SeverityChanged) and change.to_severity == Severity.RED
    assert change.alarm_id == mine[0].alarm_id
    assert [e.seq for e in mine] == [1, 2]


def test_a_noisy_value_around_the_threshold_raises_once_and_does_not_flap(
    start_worker: StartWorker, wire: Wire
) -> None:
    start_worker()
    device, enterprise = rid("gd-"), rid("E")
    for index in range(40):
        wire.reading(device, enterprise, {"concentration": 26.0 if index % 2 else 23.5})
    wire.wait_for(has(AlarmRaised, device))
    wire.settle()
    assert [e.type for e in wire.of(device)] == ["AlarmRaised"]


def test_a_silent_site_is_one_site_alarm_and_its_devices_offline_alarms_are_suppressed(
    start_worker: StartWorker, wire: Wire, tmp_path: Path
) -> None:
    enterprise, devices = rid("E"), [rid("gd-") for _ in range(3)]
    registry = write_registry(
        tmp_path / "registry.yaml",
        [
            {
                "id": d,
                "enterprise": enterprise,
                "family": "gas",
                "type": "combustible",
                "report_interval_s": 1,
                "offline_after_s": 5,
            }
            for d in devices
        ],
    )
    start_worker(registry_file=registry)
    for device in devices:
        wire.reading(device, enterprise, {"concentration": 0.0})
    started = time.monotonic()

    def all_offline_and_site(events: list[AlarmEvent]) -> bool:
        offline = {
            e.device_id for e in events if isinstance(e, AlarmRaised) and e.condition == "offline"
        }
        return offline >= set(devices) and any(e.condition == "site_offline" for e in events)

    wire.wait_for(all_offline_and_site, timeout=5 + 5 - (time.monotonic() - started))
    wire.settle()
    raised = [e for e in wire.events if isinstance(e, AlarmRaised)]
    # What a monitor is paged for: the site alarm alone.
    unsuppressed = [e for e in raised if e.suppressed_window is None]
    assert [(e.condition, e.device_id) for e in unsuppressed] == [
        ("site_offline", f"site:{enterprise}")
    ]
    # Each device's own episode is still on record (device status, uptime), inhibited.
    offline = {e.device_id: e for e in raised if e.condition == "offline"}
    assert set(offline) == set(devices)
    assert {e.suppressed_window for e in offline.values()} == {f"site:{enterprise}"}
    suppressed = {e.alarm_id for e in wire.events if isinstance(e, Suppressed)}
    assert suppressed == {e.alarm_id for e in offline.values()}
    # One device coming back clears the site condition, the alarm stays open for people.
    wire.reading(devices[0], enterprise, {"concentration": 0.0})
    wire.wait_for(
        lambda events: any(
            isinstance(e, ConditionCleared) and e.condition == "site_offline" for e in events
        )
    )


def test_a_device_silent_alone_at_a_site_raises_its_own_offline_alarm_in_time(
    start_worker: StartWorker, wire: Wire, tmp_path: Path
) -> None:
    enterprise, quiet, talking = rid("E"), rid("gd-"), rid("gd-")
    rows = [
        {"id": d, "enterprise": enterprise, "family": "gas", "offline_after_s": 5}
        for d in (quiet, talking)
    ]
    start_worker(registry_file=write_registry(tmp_path / "registry.yaml", rows))
    wire.reading(quiet, enterprise, {"concentration": 0.0})
    started = time.monotonic()
    # The other device keeps the site alive: no site verdict, the hold runs out.
    wire.report_until(
        talking, enterprise, {"concentration": 0.0}, has(AlarmRaised, quiet), timeout=15
    )
    elapsed = time.monotonic() - started
    alarm = next(e for e in wire.of(quiet) if isinstance(e, AlarmRaised))
    assert alarm.condition == "offline" and alarm.suppressed_window is None
    assert not any(e.condition == "site_offline" for e in wire.events)
    # offline_after_s + the site hold (3 s) + the timer and Kafka's round trips
    assert elapsed < 5 + 3 + 5


def test_level_two_gas_without_the_valve_closing_is_an_interlock_failure(
    start_worker: StartWorker, wire: Wire, tmp_path: Path
) -> None:
    enterprise, detector, valve = rid("E"), rid("gd-"), rid("sv-")
    registry = write_registry(
        tmp_path / "registry.yaml",
        [
            {
                "id": detector,
                "enterprise": enterprise,
                "family": "gas",
                "type": "combustible",
                "interlock": valve,
                "offline_after_s": 600,
            },
            {
                "id": valve,
                "enterprise": enterprise,
                "family": "shutoff",
                "type": "valve",
                "offline_after_s": 600,
            },
        ],
    )
    start_worker(registry_file=registry)
    wire.reading(valve, enterprise, {"state": "open"}, family="shutoff")
    wire.report_until(
        detector, enterprise, {"concentration": 70.0}, has(SeverityChanged, detector), timeout=30
    )
    events = wire.wait_for(
        lambda events: any(e.condition == "interlock_failure" for e in events), timeout=30
    )
    failure = next(e for e in events if e.condition == "interlock_failure")
    assert isinstance(failure, AlarmRaised)
    assert (failure.device_id, failure.severity) == (valve, Severity.RED)


def test_a_valve_that_closes_in_time_is_no_interlock_failure(
    start_worker: StartWorker, wire: Wire, tmp_path: Path
) -> None:
    enterprise, detector, valve = rid("E"), rid("gd-"), rid("sv-")
    registry = write_registry(
        tmp_path / "registry.yaml",
        [
            {
                "id": detector,
                "enterprise": enterprise,
                "family": "gas",
                "interlock": valve,
                "offline_after_s": 600,
            },
            {"id": valve, "enterprise": enterprise, "family": "shutoff", "offline_after_s": 600},
        ],
    )
    start_worker(registry_file=registry)
    wire.reading(valve, enterprise, {"state": "open"}, family="shutoff")
    wire.report_until(
        detector, enterprise, {"concentration": 70.0}, has(SeverityChanged, detector), timeout=30
    )
    wire.reading(valve, enterprise, {"state": "closed"}, family="shutoff")
    wire.settle(quiet_s=12)  # longer than the 10 s interlock time
    assert not any(e.condition == "interlock_failure" for e in wire.events)
