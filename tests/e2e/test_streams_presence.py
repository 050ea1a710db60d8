"""Device presence as events on the running pipeline: status and uptime follow the device,
not its offline alarm; replay rebuilds them to what the sink keeps live."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from schemas.events import AlarmRaised, Closed, DeviceCameOnline, DeviceWentOffline
from schemas.settings import Endpoints
from tests.conftest import endpoints_env
from tests.e2e.lifecycle_support import start_sink, wait_for_row
from tests.integration.streams.fixtures import StartWorker
from tests.integration.streams.harness import Wire, rid, write_registry
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def test_a_device_whose_offline_alarm_was_closed_before_it_returned_shows_online_and_replays(
    start_worker: StartWorker,
    wire: Wire,
    endpoints: Endpoints,
    database_url: str,
    service_process: Callable[..., ServiceProcess],
    tmp_path: Path,
) -> None:
    store = start_sink(endpoints, database_url, service_process)
    enterprise, detector = rid("E"), rid("gd-")
    registry = write_registry(
        tmp_path / "registry.yaml",
        [{"id": detector, "enterprise": enterprise, "family": "gas", "offline_after_s": 4}],
    )
    start_worker(registry_file=registry)
    wire.reading(detector, enterprise, {"concentration": 1.0})
    events = wire.wait_for(
        lambda events: any(isinstance(e, AlarmRaised) and e.condition == "offline"
                           for e in events),
        timeout=30,
    )  # fmt: skip
    went = next(e for e in events if isinstance(e, DeviceWentOffline))
    alarm = next(e.alarm_id for e in events if isinstance(e, AlarmRaised))
    wait_for_row(
        store.load_device_status, lambda d: d["device_id"] == detector and not d["online"]
    )
    # The township closes the offline alarm (a faulty detector) while it is still silent.
    for kind in ("acknowledge", "dispatch", "resolve", "close"):
        wire.command(detector, kind, alarm, cause="device_fault")
    wire.wait_for(lambda events: any(isinstance(e, Closed) for e in events))
    wire.reading(detector, enterprise, {"concentration": 1.0})
    events = wire.wait_for(lambda events: any(isinstance(e, DeviceCameOnline) for e in events))
    back = next(e for e in events if isinstance(e, DeviceCameOnline))
    assert (back.alarm_id, back.seq) == (went.alarm_id, 2)
    status = wait_for_row(
        store.load_device_status, lambda d: d["device_id"] == detector and d["online"]
    )
    assert status["offline_episodes"] == 1 and status["episode_id"] == went.alarm_id
    intervals = wait_for_row(
        store.load_offline_intervals,
        lambda i: i["episode_id"] == went.alarm_id and i["ended_at"] is not None,
    )
    assert intervals["started_at"] == went.occurred_at

    # Silent again: a second episode, then nothing more happens until the check has run.
    wire.wait_for(
        lambda events: sum(isinstance(e, DeviceWentOffline) for e in events) == 2, timeout=30
    )
    logged = wire.settle(quiet_s=1)
    alarms = {e.alarm_id for e in logged if isinstance(e, AlarmRaised)}
    expected = {e.alarm_id: e.seq for e in logged if e.alarm_id in alarms}
    wait_for_row(
        store.load_device_status,
        lambda d: d["device_id"] == detector and d["offline_episodes"] == 2,
    )
    deadline = time.monotonic() + 30
    while {a["alarm_id"]: a["last_seq"] for a in store.load_alarms()} != expected:
        assert time.monotonic() < deadline, f"sink never caught up: {store.load_alarms()}"
        time.sleep(0.3)
    env = {**endpoints_env(endpoints), "HW_DATABASE_URL": database_url}
    check = subprocess.run(
        [str(REPO / "run"), "replay", "--check"], env={**os.environ, **env},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert "differences: 0" in check.stdout and "offline episodes: 2" in check.stdout
