"""Each real hazardwatch process serves, on /metrics, every metric family docs/internals.md
promises for it (the names the rules and dashboards query), with no label beyond the documented
ones. A process whose package has no entrypoint yet is skipped."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from schemas.settings import Endpoints
from tests.conftest import endpoints_env
from tests.support.processes import ServiceProcess, free_port
from tests.unit.observability.metrics_doc import documented, family_names

pytestmark = pytest.mark.shared_broker

# process -> (argv of `python -m`, the variable that sets its HTTP port)
PROCESSES = {
    "ingest": (["ingest"], "HW_INGEST_HTTP_PORT"),
    "streams": (["streams", "worker"], "HW_STREAMS_HTTP_PORT"),
    "sinks": (["streams.sinks"], "HW_SINK_HTTP_PORT"),
    "alerts": (["alerts"], "HW_API_URL"),
}


def _built(module: str) -> bool:
    try:
        return importlib.util.find_spec(f"{module}.__main__") is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_the_process_serves_every_documented_metric_family(
    process: str,
    endpoints: Endpoints,
    database_url: str,
    service_process: Callable[..., ServiceProcess],
) -> None:
    argv, port_variable = PROCESSES[process]
    if not _built(argv[0]):
        pytest.skip(f"{argv[0]}/__main__.py does not exist yet")
    port = free_port()
    env = {
        **endpoints_env(endpoints),
        "HW_DATABASE_URL": database_url,
        # Own consumer group and shared-subscription group: never take other tests' messages.
        "HW_STREAMS_APP_ID": f"obs-{uuid.uuid4().hex[:8]}",
        "HW_INGEST_SHARED_GROUP": f"obs-{uuid.uuid4().hex[:8]}",
        "HW_SINK_GROUP_ID": f"obs-{uuid.uuid4().hex[:8]}",
        "HW_STREAMS_REGISTRY": "none",
        "HW_API_TOKEN_SECRET": uuid.uuid4().hex,
        port_variable: f"http://127.0.0.1:{port}" if port_variable == "HW_API_URL" else str(port),
    }
    service_process(argv, env, port).wait_ready(timeout=120.0)
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10.0).text
    exposed = {family.name: family for family in text_string_to_metric_families(text)}

    promised = documented()[process]
    found = {m: next((exposed[n] for n in family_names(m) if n in exposed), None) for m in promised}
    missing = sorted(m for m, family in found.items() if family is None)
    assert not missing, f"{process} does not expose {missing}"
    for metric, labels in promised.items():
        family = found[metric]
        assert family is not None
        extra = {key for sample in family.samples for key in sample.labels} - labels - {"le"}
        assert not extra, f"{metric} has undocumented labels {extra}"
