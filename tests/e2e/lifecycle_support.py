"""Shared by the lifecycle e2e tests: a sink process of the test's own and the projections it
keeps, polled until they say what the test waits for."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from schemas.settings import Endpoints
from storage.datastore import Datastore
from storage.projections import ProjectionStore
from tests.conftest import endpoints_env
from tests.support.processes import ServiceProcess, free_port


def start_sink(
    endpoints: Endpoints, database_url: str, service_process: Callable[..., ServiceProcess]
) -> ProjectionStore:
    """A sink on the test's topics writing into the test's database; returns its projections."""
    env = {**endpoints_env(endpoints), "HW_DATABASE_URL": database_url}
    port = free_port()
    service_process(["streams.sinks"], {**env, "HW_SINK_HTTP_PORT": str(port)}, port).wait_ready()
    return ProjectionStore(Datastore(database_url))


def wait_for_row(
    load: Callable[[], list[dict[str, Any]]],
    done: Callable[[dict[str, Any]], bool],
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Polls a projection until one of its rows satisfies `done`; fails with the rows."""
    deadline = time.monotonic() + timeout
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        rows = load()
        found = next((row for row in rows if done(row)), None)
        if found is not None:
            return found
        time.sleep(0.3)
    raise AssertionError(f"no matching row within {timeout:.0f} s: {rows}")
