"""Killing the real ingest gateway (`python -m ingest`, kill -9) makes HazardwatchGatewayDown fire
on a Prometheus scraping it, within the alert's test window."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from schemas.settings import Endpoints
from tests.conftest import endpoints_env
from tests.integration.observability.gateway_down import (
    TEST_WINDOW,
    kill_and_expect_gateway_down,
)
from tests.integration.observability.harness import running_prometheus
from tests.support.processes import ServiceProcess, free_port


def _gateway_built() -> bool:
    try:
        return importlib.util.find_spec("ingest.__main__") is not None
    except ModuleNotFoundError:
        return False


pytestmark = [
    pytest.mark.skipif(
        not _gateway_built(), reason="ingest/__main__.py does not exist yet: no gateway to kill"
    ),
    pytest.mark.shared_broker,
]


def test_killing_the_ingest_gateway_fires_gateway_down(
    tmp_path: Path,
    endpoints: Endpoints,
    database_url: str,
    service_process: Callable[..., ServiceProcess],
) -> None:
    port = free_port()
    env = {
        **endpoints_env(endpoints),
        "HW_DATABASE_URL": database_url,
        "HW_INGEST_HTTP_PORT": str(port),
        # Its own shared-subscription group: it must not take other tests' messages.
        "HW_INGEST_SHARED_GROUP": f"obs-{uuid.uuid4().hex[:8]}",
    }
    gateway = service_process(["ingest"], env, port).wait_ready()
    instance = f"127.0.0.1:{port}"
    with running_prometheus(
        tmp_path / "prometheus", {"hazardwatch-ingest": [instance]}, TEST_WINDOW
    ) as prometheus:
        alert = kill_and_expect_gateway_down(prometheus, instance, gateway.kill)
    assert alert["labels"]["severity"] == "critical"
