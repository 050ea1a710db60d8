"""The stack as a whole: bring every service up in order, take it down, report its state."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from deploy.stack import kafka, kafka_cluster, mosquitto, postgres, prometheus
from deploy.stack.config import StackConfig


@dataclass(frozen=True)
class Service:
    name: str
    module: ModuleType
    port: Callable[[StackConfig], int]

    def up(self, cfg: StackConfig) -> None:
        self.module.up(cfg)

    def down(self, cfg: StackConfig) -> bool:
        return bool(self.module.down(cfg))

    def pid(self, cfg: StackConfig) -> int | None:
        pid: int | None = self.module.pid(cfg)
        return pid

    def healthy(self, cfg: StackConfig) -> bool:
        try:
            return bool(self.module.healthy(cfg))
        except Exception:
            return False


SERVICES: tuple[Service, ...] = (
    Service("postgres", postgres, lambda c: c.postgres_port),
    Service("mosquitto", mosquitto, lambda c: c.mqtt_port),
    Service("kafka", kafka, lambda c: c.kafka_port),
    Service("prometheus", prometheus, lambda c: c.prometheus_port),
)


def select(names: list[str] | None) -> tuple[Service, ...]:
    if not names:
        return SERVICES
    return tuple(s for s in SERVICES if s.name in names)


def up(
    cfg: StackConfig, names: list[str] | None = None, echo: Callable[[str], None] = print
) -> None:
    for service in select(names):
        started = time.monotonic()
        service.up(cfg)
        echo(
            f"  {service.name:<11} up   port {service.port(cfg):<6} "
            f"({time.monotonic() - started:.1f} s)"
        )


def down(
    cfg: StackConfig, names: list[str] | None = None, echo: Callable[[str], None] = print
) -> None:
    for service in reversed(select(names)):
        stopped = service.down(cfg)
        echo(f"  {service.name:<11} {'stopped' if stopped else 'was not running'}")


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    pid: int | None
    port: int
    healthy: bool
    detail: str = ""


def status(cfg: StackConfig) -> list[ServiceStatus]:
    rows = []
    for service in SERVICES:
        healthy = service.healthy(cfg)
        detail = ""
        if service.name == "postgres" and healthy:
            detail = f"mode {postgres.mode(cfg)}"
        if service.name == "kafka" and cfg.kafka_nodes > 1:
            detail = kafka_cluster.summary(cfg)
        rows.append(
            ServiceStatus(service.name, service.pid(cfg), service.port(cfg), healthy, detail)
        )
        if service.name == "kafka" and cfg.kafka_nodes > 1:
            # One row per node under the cluster's, marked where the controller quorum's
            # leader is.
            rows.extend(ServiceStatus(*row) for row in kafka_cluster.status_rows(cfg))
    return rows
