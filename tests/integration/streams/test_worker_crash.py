"""`kill -9` of a worker in the middle of a burst: after a restart (state from the changelog, or
with the RocksDB store from local disk plus the changelog's tail) and dedupe by event_id, the
events are exactly those of an uninterrupted run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from schemas.events import AlarmEvent
from schemas.families import Family
from streams.device import DeviceState
from streams.directory import StaticDirectory
from streams.handlers import DeviceHandler
from streams.profiles import DeviceSpec
from tests.integration.streams.fixtures import StartWorker, start_worker, wire  # noqa: F401
from tests.integration.streams.harness import Wire, envelope, rid, unique_events, write_registry

pytestmark = pytest.mark.integration

# A leak cycle on the device clock: level 1, level 2 held past 5 s, then clean air past 30 s.
CYCLE = [30.0] + [60.0] * 7 + [0.0] * 33


def burst(devices: list[str], enterprise: str, cycles: int) -> dict[str, list[bytes]]:
    # Device time starts now: overdue-acknowledgement escalations stay minutes away.
    start = datetime.now(UTC)
    plan: dict[str, list[bytes]] = {}
    for device in devices:
        values = CYCLE * cycles
        plan[device] = [
            envelope(device, enterprise, seq, start + timedelta(seconds=seq), {"concentration": v})
            for seq, v in enumerate(values, start=1)
        ]
    return plan


def worker_state(port: int) -> str:
    """What the restarted worker says of itself, for the failure message."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    wanted = ("processed_total{", "dropped_total{", "lag_messages{", "stalls_total{")
    return "\n".join(line for line in text.splitlines() if any(w in line for w in wanted))


def expected_events(plan: dict[str, list[bytes]], specs: list[DeviceSpec]) -> list[AlarmEvent]:
    """The events of an uninterrupted run: the same inputs through the same pure handler."""
    handler, events = DeviceHandler(StaticDirectory(specs)), list[AlarmEvent]()
    for messages in plan.values():
        state = DeviceState()
        for raw in messages:
            state, emission = handler.reading("readings", state, raw)
            events.extend(emission.events)
    return events


@pytest.mark.parametrize("store", ["memory", "rocksdb"])
def test_a_worker_killed_mid_burst_loses_and_duplicates_nothing(
    start_worker: StartWorker,  # noqa: F811
    wire: Wire,  # noqa: F811
    tmp_path: Path,
    store: str,
) -> None:
    enterprise, devices = rid("E"), [rid("gd-") for _ in range(40)]
    rows = [
        {"id": d, "enterprise": enterprise, "family": "gas", "offline_after_s": 3600}
        for d in devices
    ]
    registry = write_registry(tmp_path / "registry.yaml", rows)
    specs = [DeviceSpec(d, enterprise, Family.GAS, offline_after_s=3600) for d in devices]
    plan = burst(devices, enterprise, cycles=3)
    expected = {e.event_id: e for e in expected_events(plan, specs)}
    app_env = {"HW_STREAMS_APP_ID": rid("crash-"), "HW_STREAMS_STORE": f"{store}://",
               "HW_STREAMS_DATA_DIR": str(tmp_path / "streams")}

    first = start_worker(registry_file=registry, app_env=app_env)
    half = len(next(iter(plan.values()))) // 2
    for index in range(half):
        for device in devices:
            wire.send_raw(device, plan[device][index])
    wire.producer.flush()
    wire.wait_for(lambda events: len(events) >= len(expected) // 4, timeout=120)
    first.kill()  # SIGKILL: no commit, no flush, no goodbye

    for index in range(half, len(next(iter(plan.values())))):
        for device in devices:
            wire.send_raw(device, plan[device][index])
    # Redelivery from the device side too: the whole first half again.
    for index in range(half):
        wire.send_raw(devices[0], plan[devices[0]][index])
    wire.producer.flush()
    # Same instance and port: the same static group member, back at once with its partitions.
    second = start_worker(registry_file=registry, app_env=app_env, port=first.port)
    try:
        wire.wait_for(lambda events: len(unique_events(events)) >= len(expected), timeout=180)
    except AssertionError as missing:
        raise AssertionError(f"{worker_state(second.port)}\n{missing}") from None
    seen = unique_events(wire.settle(quiet_s=5))

    differing = [
        (e.model_dump(), expected[e.event_id].model_dump())
        for e in seen
        if e.event_id in expected and e != expected[e.event_id]
    ]
    assert differing == []
    assert {e.event_id: e for e in seen} == expected
    per_alarm: dict[str, list[int]] = {}
    for event in seen:
        per_alarm.setdefault(event.alarm_id, []).append(event.seq)
    assert all(sorted(s) == list(range(1, len(s) + 1)) for s in per_alarm.values())
