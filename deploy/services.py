"""hazardwatch's own processes (docs/internals.md "Processes"), run in the background beside the
stack by `./run up` under a supervisor (`deploy.supervisor`) that restarts any that exits. A
process is part of the table only once its package has an entrypoint, so `./run up` starts
whatever has been built. Every port follows the stack's configuration (StackConfig), so a
second stack (its own HW_STACK_DIR and ports) runs beside the first."""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from deploy.stack import process
from deploy.stack.config import StackConfig
from deploy.stack.errors import StackError
from deploy.supervisor import state as supervision

SUPERVISOR = "supervisor"
SUPERVISOR_MARKER = "-m deploy.supervisor"


@dataclass(frozen=True)
class Service:
    name: str
    module: str
    args: tuple[str, ...]
    port: int
    # The process's own settings (its HTTP port, where it keeps local state), on top of the
    # stack's environment.
    env: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def available(self) -> bool:
        try:
            return importlib.util.find_spec(f"{self.module}.__main__") is not None
        except ModuleNotFoundError:
            return False

    @property
    def argv(self) -> list[str]:
        return [sys.executable, "-m", self.module, *self.args]

    @property
    def marker(self) -> str:
        """What identifies our process in /proc/<pid>/cmdline."""
        return f"-m {self.module} {' '.join(self.args)}".rstrip()

    def pid(self, cfg: StackConfig) -> int | None:
        return process.read_pid(cfg.pid_file(self.name), self.marker)

    def ready(self) -> bool:
        try:
            response = httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200


def table(cfg: StackConfig) -> tuple[Service, ...]:
    workers = tuple(
        Service(
            f"streams-{n}",
            "streams",
            ("worker", "--instance", str(n)),
            cfg.streams_port + n - 1,
            {
                "HW_STREAMS_HTTP_PORT": str(cfg.streams_port + n - 1),
                # Local table state kept between restarts: a restarted worker replays only the
                # changelog's tail (streams.tables.LocalTable).
                "HW_STREAMS_STORE": "rocksdb://",
                "HW_STREAMS_DATA_DIR": str(cfg.service_dir("streams")),
            },
        )
        for n in range(1, cfg.streams_workers + 1)
    )
    # HW_INGEST_PROCESSES gateways (default: one per core) share the MQTT subscription; gateway
    # N answers (and exports its metrics) on ingest_port + N - 1.
    gateways = tuple(
        Service(f"ingest-{n}", "ingest", ("--instance", str(n)), cfg.ingest_port + n - 1,
                {"HW_INGEST_HTTP_PORT": str(cfg.ingest_port + n - 1)})
        for n in range(1, ingest_processes() + 1)
    )
    every = (
        *gateways,
        *workers,
        Service("sinks", "streams.sinks", (), cfg.sinks_port,
                # The broker's least session (6 s): a restarted sink waits for its dead self's
                # session to expire before it gets its partitions back (10 s measured 11.4 s).
                {"HW_SINK_HTTP_PORT": str(cfg.sinks_port), "HW_SINK_SESSION_TIMEOUT_MS": "6000"}),
        Service("alerts", "alerts", (), cfg.api_port),
    )
    return tuple(s for s in every if s.available)


def ingest_processes() -> int:
    return max(1, int(os.environ.get("HW_INGEST_PROCESSES") or os.cpu_count() or 1))


def environment(cfg: StackConfig, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The supervisor's environment, which every process inherits (plus its own `env`)."""
    return {
        **os.environ,
        **cfg.env(),
        **cfg.process_env(),
        "PYTHONUNBUFFERED": "1",
        **(overrides or {}),
    }


def supervisor_pid(cfg: StackConfig) -> int | None:
    return process.read_pid(cfg.pid_file(SUPERVISOR), SUPERVISOR_MARKER)


def up(
    cfg: StackConfig,
    echo: Callable[[str], None] = print,
    timeout: float = 90.0,
    overrides: Mapping[str, str] | None = None,
) -> None:
    """Starts the supervisor (which starts every process not running) and waits until each
    answers /readyz. Run again, it asks the running supervisor to retry crash-looped ones."""
    services = table(cfg)
    running = {s.name for s in services if s.pid(cfg) is not None}
    for service in services:
        if service.name not in running:
            process.require_port_free(service.name, service.port)
    pid = supervisor_pid(cfg)
    if pid is None:
        process.require_port_free(SUPERVISOR, cfg.supervisor_port)
        supervision.clear(cfg)
        process.start(
            [sys.executable, "-m", "deploy.supervisor"],
            pid_file=cfg.pid_file(SUPERVISOR),
            log_file=cfg.log_file(SUPERVISOR),
            env=environment(cfg, overrides),
        )
    else:
        os.kill(pid, signal.SIGHUP)  # a fresh start for anything given up as a crash loop
    for service in services:
        began = time.monotonic()

        def ready(service: Service = service) -> bool:
            gave_up = supervision.read(cfg).get(service.name)
            if gave_up is not None and gave_up.state == supervision.CRASH_LOOP:
                raise StackError(f"{service.name}: {gave_up.detail}")
            return service.ready()

        _require_ready(service.name, ready, timeout, cfg)
        state = "running" if service.name in running else "started"
        echo(
            f"  {service.name:<11} {state:<8} port {service.port:<6} "
            f"({time.monotonic() - began:.1f} s to ready)"
        )
    echo(f"  {SUPERVISOR:<11} running  port {cfg.supervisor_port:<6} (restarts what exits)")


def _require_ready(name: str, ready: Callable[[], bool], timeout: float, cfg: StackConfig) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise StackError(
        f"{name} did not become healthy within {timeout:.0f} s; log {cfg.log_file(name)}:\n"
        f"{process.log_tail(cfg.log_file(name))}"
    )


def down(cfg: StackConfig, echo: Callable[[str], None] = print) -> None:
    # The supervisor first: it would restart what is stopped below.
    stopped = process.stop(cfg.pid_file(SUPERVISOR), SUPERVISOR_MARKER)
    echo(f"  {SUPERVISOR:<11} {'stopped' if stopped else 'was not running'}")
    for service in reversed(table(cfg)):
        stopped = process.stop(cfg.pid_file(service.name), service.marker)
        echo(f"  {service.name:<11} {'stopped' if stopped else 'was not running'}")
    supervision.clear(cfg)


@dataclass(frozen=True)
class ProcessStatus:
    service: Service
    pid: int | None
    ready: bool
    detail: str  # the supervisor's word on it: restarts, a crash loop


def status(cfg: StackConfig) -> list[ProcessStatus]:
    supervised = supervision.read(cfg) if supervisor_pid(cfg) is not None else {}
    rows = []
    for service in table(cfg):
        seen = supervised.get(service.name)
        detail = "" if seen is None else seen.describe()
        rows.append(ProcessStatus(service, service.pid(cfg), service.ready(), detail))
    return rows
