"""hazardwatch's own processes (docs/internals.md "Processes"), run in the background beside the
stack by `./run up`. A process is part of the table only once its package has an entrypoint, so
`./run up` starts whatever has been built."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from deploy.stack import process
from deploy.stack.config import StackConfig


@dataclass(frozen=True)
class Service:
    name: str
    module: str
    args: tuple[str, ...]
    port: int

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
        return f"-m {self.module}"

    def pid(self, cfg: StackConfig) -> int | None:
        return process.read_pid(cfg.pid_file(self.name), self.marker)

    def ready(self) -> bool:
        try:
            response = httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200


def table(cfg: StackConfig) -> tuple[Service, ...]:
    every = (
        Service("ingest-1", "ingest", ("--instance", "1"), 18101),
        Service("streams-1", "streams", ("worker", "--instance", "1"), 18201),
        Service("sinks", "streams.sinks", (), 18301),
        Service("alerts", "alerts", (), cfg.api_port),
    )
    return tuple(s for s in every if s.available)


def environment(cfg: StackConfig) -> dict[str, str]:
    return {**os.environ, **cfg.env(), "PYTHONUNBUFFERED": "1"}


def up(cfg: StackConfig, echo: Callable[[str], None] = print, timeout: float = 90.0) -> None:
    env: Mapping[str, str] = environment(cfg)
    started: list[Service] = []
    for service in table(cfg):
        if service.pid(cfg) is None:
            process.require_port_free(service.name, service.port)
            process.start(
                service.argv,
                pid_file=cfg.pid_file(service.name),
                log_file=cfg.log_file(service.name),
                env=env,
            )
            started.append(service)
    for service in table(cfg):
        began = time.monotonic()
        process.require_healthy(service.name, service.ready, timeout, cfg.log_file(service.name))
        state = "started" if service in started else "running"
        echo(
            f"  {service.name:<11} {state:<8} port {service.port:<6} "
            f"({time.monotonic() - began:.1f} s to ready)"
        )


def down(cfg: StackConfig, echo: Callable[[str], None] = print) -> None:
    for service in reversed(table(cfg)):
        stopped = process.stop(cfg.pid_file(service.name), service.marker)
        echo(f"  {service.name:<11} {'stopped' if stopped else 'was not running'}")


def status(cfg: StackConfig) -> list[tuple[Service, int | None, bool]]:
    return [(s, s.pid(cfg), s.ready()) for s in table(cfg)]
