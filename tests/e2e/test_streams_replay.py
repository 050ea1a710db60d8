"""`./run replay --check` against live projections written by the sink from the same log."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from schemas.events import AlarmRaised, Closed, ConditionCleared
from schemas.settings import Endpoints
from storage.datastore import Datastore
from storage.projections import ProjectionStore
from tests.conftest import endpoints_env
from tests.integration.streams.fixtures import StartWorker
from tests.integration.streams.harness import Wire, rid, write_registry
from tests.support.processes import ServiceProcess, free_port

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def test_replay_reproduces_the_projections_the_sink_keeps_live(
    start_worker: StartWorker,
    wire: Wire,
    endpoints: Endpoints,
    database_url: str,
    service_process: Callable[..., ServiceProcess],
    tmp_path: Path,
) -> None:
    env = {**endpoints_env(endpoints), "HW_DATABASE_URL": database_url}
    port = free_port()
    service_process(["streams.sinks"], {**env, "HW_SINK_HTTP_PORT": str(port)}, port).wait_ready()
    enterprise, lift, detector = rid("E"), rid("el-"), rid("gd-")
    registry = write_registry(
        tmp_path / "registry.yaml",
        [
            {"id": lift, "enterprise": enterprise, "family": "elevator", "offline_after_s": 600},
            {"id": detector, "enterprise": enterprise, "family": "gas", "offline_after_s": 5},
        ],
    )
    start_worker(registry_file=registry)
    wire.reading(lift, enterprise, {"event": "trapped"}, family="elevator", channel="event")
    wire.reading(detector, enterprise, {"concentration": 1.0})
    events = wire.wait_for(lambda events: any(isinstance(e, AlarmRaised) for e in events))
    alarm = next(e.alarm_id for e in events if e.device_id == lift)
    for kind in ("acknowledge", "dispatch", "resolve", "close"):
        wire.command(lift, kind, alarm, cause="test")
    wire.wait_for(lambda events: any(isinstance(e, Closed) for e in events))
    wire.wait_for(lambda events: any(e.condition == "offline" for e in events), timeout=30)
    wire.reading(detector, enterprise, {"concentration": 1.0})
    wire.wait_for(lambda events: any(isinstance(e, ConditionCleared) for e in events))
    # Presence episodes share the log but are no alarms: they have no row in `alarms`.
    expected = {e.alarm_id: e.seq for e in wire.settle() if e.condition != "presence"}

    store = ProjectionStore(Datastore(database_url))
    deadline = time.monotonic() + 60
    while {a["alarm_id"]: a["last_seq"] for a in store.load_alarms()} != expected:
        assert time.monotonic() < deadline, f"sink never caught up: {store.load_alarms()}"
        time.sleep(0.5)

    check = subprocess.run(
        [str(REPO / "run"), "replay", "--check"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "differences: 0" in check.stdout
