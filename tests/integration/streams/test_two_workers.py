"""Two workers of one app share the partitions: a rebalance mid-stream loses and duplicates
nothing (after dedupe by event_id), and each silent device goes offline exactly once, whichever
worker owns it by then."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.events import AlarmEvent, AlarmRaised
from schemas.families import Family
from streams.profiles import DeviceSpec
from tests.integration.streams.fixtures import StartWorker, start_worker, wire  # noqa: F401
from tests.integration.streams.harness import Wire, gas_site, rid, unique_events
from tests.integration.streams.test_worker_crash import burst, expected_events

pytestmark = pytest.mark.integration
OFFLINE_AFTER_S = 20


def test_a_second_worker_joining_mid_stream_changes_nothing_in_the_events(
    start_worker: StartWorker,  # noqa: F811
    wire: Wire,  # noqa: F811
    tmp_path: Path,
) -> None:
    enterprise, devices, registry = gas_site(tmp_path, 40, OFFLINE_AFTER_S)
    specs = [DeviceSpec(d, enterprise, Family.GAS, offline_after_s=OFFLINE_AFTER_S)
             for d in devices]
    plan = burst(devices, enterprise, cycles=1)
    expected = {e.event_id: e for e in expected_events(plan, specs)}
    app_env = {"HW_STREAMS_APP_ID": rid("pair-")}
    length = len(next(iter(plan.values())))

    first = start_worker(registry_file=registry, app_env=app_env, instance=1)
    for index in range(length // 2):
        for device in devices:
            wire.send_raw(device, plan[device][index])
    wire.producer.flush()
    wire.wait_for(lambda events: len(events) >= len(expected) // 4, timeout=120)
    second = start_worker(registry_file=registry, app_env=app_env, instance=2)  # a rebalance
    for index in range(length // 2, length):
        for device in devices:
            wire.send_raw(device, plan[device][index])
    wire.producer.flush()

    def offline(events: list[AlarmEvent]) -> set[str]:
        return {e.device_id for e in events
                if isinstance(e, AlarmRaised) and e.condition == "offline"}

    # Then they all fall silent: with the site alarm standing for them, every device still
    # gets its own (inhibited) offline alarm, from whichever worker owns it.
    wire.wait_for(lambda events: len({e.event_id for e in events} & expected.keys())
                  >= len(expected) and offline(events) >= set(devices), timeout=240)
    seen = unique_events(wire.settle(quiet_s=5))
    alive = [w.proc is not None and w.proc.poll() is None for w in (first, second)]
    assert alive == [True, True], "a worker died"
    assert {e.event_id: e for e in seen if e.condition not in ("offline", "presence")
            and not e.device_id.startswith("site:")} == expected
    raised = [e for e in seen if isinstance(e, AlarmRaised) and e.condition == "offline"]
    assert sorted(e.device_id for e in raised) == sorted(devices)
    per_alarm: dict[str, list[int]] = {}
    for event in seen:
        per_alarm.setdefault(event.alarm_id, []).append(event.seq)
    assert all(sorted(s) == list(range(1, len(s) + 1)) for s in per_alarm.values())
