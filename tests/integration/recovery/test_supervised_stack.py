"""`./run up` on a second stack (its own folder and ports beside the shared one): its processes
listen on the ports its configuration gives, the supervisor brings a process killed with
SIGKILL back by itself and counts it, hands a killed sink over to its warm standby, and gives
up on a crash loop with a clear message in `./run status`. The second stack shares the suite's
Kafka (behind the test's topic prefix) and PostgreSQL (a fresh database), and has its own
Mosquitto, so nothing of the first is touched."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from deploy import services
from deploy.stack import stack as launcher
from deploy.stack.config import REPO_ROOT, StackConfig
from deploy.stack.errors import StackError
from deploy.supervisor import state as supervision
from schemas.settings import Endpoints
from schemas.topics import TopicNames
from tests.support.processes import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def second_stack(stack: Endpoints) -> Iterator[StackConfig]:
    # Under the repo's .stack (not /tmp), as the launcher's own tests do.
    root = REPO_ROOT / ".stack" / "test-stacks" / uuid.uuid4().hex[:8]
    kafka_port = int(stack.kafka_bootstrap.rsplit(":", 1)[1])
    cfg = StackConfig(
        root=root, mqtt_port=free_port(), kafka_port=kafka_port,
        postgres_port=urlsplit(stack.database_url.get_secret_value()).port or 15433,
        prometheus_port=free_port(), api_port=free_port(), ingest_port=free_port(),
        streams_port=free_port(), sinks_port=free_port(), supervisor_port=free_port(),
    )
    launcher.up(cfg, ["mosquitto"], echo=lambda _l: None)
    yield cfg
    services.down(cfg, echo=lambda _l: None)
    launcher.down(cfg, ["mosquitto"], echo=lambda _l: None)
    shutil.rmtree(root, ignore_errors=True)


def _restarts(cfg: StackConfig, name: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{cfg.supervisor_port}/metrics", timeout=5).text
    wanted = f'hazardwatch_supervisor_restarts_total{{process="{name}"}}'
    return next((float(line.split()[-1]) for line in text.splitlines()
                 if line.startswith(wanted)), 0.0)


def _standbys(supervisor: int, module: str) -> list[int]:
    """The supervisor's warm standbys of `python -m module` (its children, waiting)."""
    found = []
    for proc in (p for p in Path("/proc").iterdir() if p.name.isdigit()):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):  # gone meanwhile
            continue
        if parent == supervisor and f"deploy.supervisor.standby -m {module} " in cmdline + " ":
            found.append(int(proc.name))
    return found


def _status(cfg: StackConfig, env: dict[str, str]) -> str:
    result = subprocess.run([str(REPO_ROOT / "run"), "status"], env=env, capture_output=True,
                            text=True, check=False, timeout=60)
    return result.stdout


def test_a_second_stack_runs_on_its_own_ports_restarts_a_killed_process_and_stops_a_crash_loop(
    second_stack: StackConfig, topics: TopicNames, database_url: str
) -> None:
    cfg = second_stack
    overrides = {
        "HW_TOPIC_PREFIX": topics.prefix,
        "HW_DATABASE_URL": database_url,
        "HW_STREAMS_REGISTRY": "none",
        # The alerts API refuses to start without a token secret: a process that always dies.
        "HW_API_TOKEN_SECRET": "",
        "HW_SUPERVISOR_MAX_RESTARTS": "2",
        "HW_SUPERVISOR_BACKOFF_S": "0.2",
    }
    env = services.environment(cfg, overrides)
    with pytest.raises(StackError, match=r"alerts: exited 3 times within 120 s \(last: exit "):
        services.up(cfg, echo=lambda _l: None, timeout=150, overrides=overrides)

    # Every other process answers on the port the second stack's configuration gives it.
    table = {s.name: s for s in services.table(cfg)}
    assert {table[n].port for n in ("ingest-1", "streams-1", "sinks")} == {
        cfg.ingest_port, cfg.streams_port, cfg.sinks_port}
    assert all(table[n].ready() for n in ("ingest-1", "streams-1", "sinks"))
    status = _status(cfg, env)
    assert "alerts" in status and "CRASH LOOP: exited 3 times within 120 s" in status
    assert "./run up" in status  # what to do about it

    # kill -9 of the gateway: back by itself, on the same port, counted.
    before = table["ingest-1"].pid(cfg)
    assert before is not None
    os.kill(before, signal.SIGKILL)
    killed_at = time.monotonic()
    while not (table["ingest-1"].pid(cfg) not in (None, before) and table["ingest-1"].ready()):
        assert time.monotonic() - killed_at < 60, "the gateway did not come back"
        time.sleep(0.2)
    assert _restarts(cfg, "ingest-1") == 1.0
    assert _restarts(cfg, "alerts") == 2.0  # three starts, two of them restarts
    assert "running, 1 restart; last killed by SIGKILL" in _status(cfg, env)

    # The sinks have a warm standby (`./run status` says so): kill -9 hands over to it (the
    # same pid serves next).
    supervisor = services.supervisor_pid(cfg)
    assert supervisor is not None
    deadline = time.monotonic() + 90
    while supervision.STANDBY_WARM not in supervision.read(cfg)["sinks"].detail:
        assert time.monotonic() < deadline, "no warm standby for the sinks"
        time.sleep(0.2)
    assert "standby ready" in _status(cfg, env)
    spares = _standbys(supervisor, "streams.sinks")
    assert len(spares) == 1
    before = table["sinks"].pid(cfg)
    assert before is not None and before not in spares
    os.kill(before, signal.SIGKILL)
    killed_at = time.monotonic()
    while not (table["sinks"].pid(cfg) == spares[0] and table["sinks"].ready()):
        assert time.monotonic() - killed_at < 60, "the sinks' standby did not take over"
        time.sleep(0.2)
    assert "standby: taking over as streams.sinks" in cfg.log_file("sinks").read_text()
    assert _restarts(cfg, "sinks") == 1.0
    waiting = [*_standbys(supervisor, "streams.sinks"), *_standbys(supervisor, "alerts"),
               *_standbys(supervisor, "streams")]

    # down stops the supervisor first, so nothing comes back.
    services.down(cfg, echo=lambda _l: None)
    time.sleep(1.0)
    assert [s.name for s in table.values() if s.pid(cfg) is not None] == []
    assert services.supervisor_pid(cfg) is None
    assert [pid for pid in waiting if Path(f"/proc/{pid}").exists()] == []  # no standby left
