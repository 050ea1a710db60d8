"""Fixtures for tests that drive a real stream worker (imported by conftest and e2e tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from schemas.settings import Endpoints
from tests.conftest import endpoints_env
from tests.integration.streams.harness import Wire, worker_env
from tests.support.processes import ServiceProcess, free_port

StartWorker = Callable[..., ServiceProcess]


@pytest.fixture
def wire(endpoints: Endpoints) -> Iterator[Wire]:
    connection = Wire(endpoints)
    yield connection
    connection.close()


@pytest.fixture
def start_worker(
    endpoints: Endpoints, service_process: Callable[..., ServiceProcess]
) -> Callable[..., ServiceProcess]:
    """Factory: `start_worker(registry_file=None, app_env=None)` -> a ready worker process.
    Workers started with the same `app_env` share one faust app (consumer group, tables); a
    worker restarted with the same instance and `port` is the same static group member."""

    def start(
        registry_file: Path | None = None,
        app_env: dict[str, str] | None = None,
        instance: int = 1,
        port: int | None = None,
    ) -> ServiceProcess:
        port = port or free_port()
        env = worker_env(endpoints, endpoints_env(endpoints), port, registry_file)
        if app_env:
            env.update(app_env)
        env["HW_STREAMS_HTTP_PORT"] = str(port)
        proc = service_process(["streams", "worker", "--instance", str(instance)], env, port)
        return proc.wait_ready(timeout=90)

    return start
