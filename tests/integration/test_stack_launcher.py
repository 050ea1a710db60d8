"""The launcher itself, on a second stack in its own folder and ports, so the shared one used by
the rest of the suite is never disturbed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from deploy.stack import kafka, stack
from deploy.stack.config import REPO_ROOT, StackConfig
from deploy.stack.errors import PortInUse

SERVICES = ["postgres", "mosquitto"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def isolated() -> Iterator[StackConfig]:
    # Under the repo's .stack (not /tmp): the `postgres` user must be able to reach the folder.
    root = REPO_ROOT / ".stack" / "test-stacks" / uuid.uuid4().hex[:8]
    cfg = StackConfig(root=root, mqtt_port=_free_port(), postgres_port=_free_port())
    yield cfg
    stack.down(cfg, SERVICES, echo=lambda _l: None)
    shutil.rmtree(root, ignore_errors=True)


def _pids(cfg: StackConfig) -> dict[str, int | None]:
    return {s.name: s.pid(cfg) for s in stack.select(SERVICES)}


def _health(cfg: StackConfig) -> dict[str, bool]:
    return {row.name: row.healthy for row in stack.status(cfg) if row.name in SERVICES}


def test_up_twice_in_a_row_keeps_the_same_processes(isolated: StackConfig) -> None:
    stack.up(isolated, SERVICES, echo=lambda _l: None)
    first = _pids(isolated)
    stack.up(isolated, SERVICES, echo=lambda _l: None)
    assert _pids(isolated) == first
    assert all(first.values())


def test_down_then_up_keeps_the_data(isolated: StackConfig) -> None:
    stack.up(isolated, SERVICES, echo=lambda _l: None)
    with psycopg.connect(isolated.database_url) as conn:
        conn.execute("CREATE TABLE kept (note text)")
        conn.execute("INSERT INTO kept VALUES ('still here')")
    stack.down(isolated, SERVICES, echo=lambda _l: None)
    assert _health(isolated) == {"postgres": False, "mosquitto": False}
    stack.up(isolated, SERVICES, echo=lambda _l: None)
    with psycopg.connect(isolated.database_url) as conn:
        assert conn.execute("SELECT note FROM kept").fetchall() == [("still here",)]


def test_a_killed_service_shows_down_and_up_brings_it_back(isolated: StackConfig) -> None:
    stack.up(isolated, SERVICES, echo=lambda _l: None)
    pid = _pids(isolated)["mosquitto"]
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert _health(isolated)["mosquitto"] is False
    stack.up(isolated, SERVICES, echo=lambda _l: None)
    assert _health(isolated) == {"postgres": True, "mosquitto": True}
    assert _pids(isolated)["mosquitto"] != pid


def test_a_port_taken_by_another_process_is_a_clear_error(isolated: StackConfig) -> None:
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", isolated.mqtt_port))
        squatter.listen()
        with pytest.raises(PortInUse, match=f"port 127.0.0.1:{isolated.mqtt_port} is already"):
            stack.up(isolated, ["mosquitto"], echo=lambda _l: None)


def test_the_run_script_reports_a_port_in_use_in_one_line_and_fails(isolated: StackConfig) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", isolated.mqtt_port))
        squatter.listen()
        env = {
            **os.environ,
            "HW_STACK_DIR": str(isolated.root),
            "HW_MQTT_PORT": str(isolated.mqtt_port),
        }
        result = subprocess.run(
            [str(REPO_ROOT / "run"), "stack", "up", "mosquitto"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("run:")]
    assert errors == [
        f"run: mosquitto: port 127.0.0.1:{isolated.mqtt_port} is already in use by another "
        "process; stop it or choose another port (see README, HW_* variables)"
    ]


def test_an_unknown_subcommand_is_one_line_and_exit_status_2() -> None:
    result = subprocess.run(
        [str(REPO_ROOT / "run"), "frobnicate"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "invalid choice: 'frobnicate'" in result.stderr


def test_env_prints_lines_a_shell_can_eval() -> None:
    result = subprocess.run(
        ["bash", "-c", f'eval "$({REPO_ROOT / "run"} stack env)" && echo "$HW_KAFKA_BOOTSTRAP"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip().startswith("127.0.0.1:")


def test_every_subcommand_has_help() -> None:
    # All at once: each is a whole `./run` start, and they wait on nothing but the CPU.
    running = {
        " ".join(argv): subprocess.Popen(
            [str(REPO_ROOT / "run"), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        for argv in (
            ["--help"], ["stack", "--help"], ["stack", "up", "--help"], ["test", "--help"],
            ["demo", "--help"], ["up", "--help"], ["status", "--help"],
        )
    }
    for argv, proc in running.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (argv, err)
        assert "usage: run" in out, argv


@pytest.mark.slow
def test_a_killed_kafka_shows_down_and_up_brings_it_back_with_its_topics() -> None:
    from kafka import KafkaAdminClient

    shared = StackConfig.from_env()
    root = REPO_ROOT / ".stack" / "test-stacks" / uuid.uuid4().hex[:8]
    cfg = StackConfig(root=root, kafka_port=_free_port(), kafka_controller_port=_free_port())
    (root / "kafka").mkdir(parents=True)
    # Reuse the jars the shared stack already fetched: this test is about processes, not Maven.
    (root / "kafka" / "libs").symlink_to(kafka.fetch_jars(shared))
    try:
        stack.up(cfg, ["kafka"], echo=lambda _l: None)
        pid = kafka.pid(cfg)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert {r.name: r.healthy for r in stack.status(cfg)}["kafka"] is False
        stack.up(cfg, ["kafka"], echo=lambda _l: None)
        admin = KafkaAdminClient(bootstrap_servers=cfg.kafka_bootstrap)
        try:
            assert "hw.alarm-events.v1" in admin.list_topics()
        finally:
            admin.close()
    finally:
        stack.down(cfg, ["kafka"], echo=lambda _l: None)
        shutil.rmtree(root, ignore_errors=True)
