"""An alarm handled to closure over HTTP, through the real worker, sink and alerts service."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest

from alerts.auth.tokens import Claims, issue
from schemas.events import AlarmRaised
from schemas.settings import Endpoints
from tests.conftest import endpoints_env
from tests.integration.streams.fixtures import StartWorker
from tests.integration.streams.harness import DIVISION, Wire, rid
from tests.support.processes import free_port

pytestmark = pytest.mark.e2e


def _start(
    service_process: Callable[..., Any], argv: list[str], env: dict[str, str], port: int
) -> None:
    service_process(argv, env, port).wait_ready(90)


@pytest.fixture
def api(
    endpoints: Endpoints,
    database_url: str,
    service_process: Callable[..., Any],
    start_worker: StartWorker,
) -> httpx.Client:
    """A township monitor's client of a started alerts service; worker and sink run too."""
    start_worker()
    env = {**endpoints_env(endpoints), "HW_DATABASE_URL": database_url}
    sink_port = free_port()
    _start(
        service_process,
        ["streams.sinks"],
        {**env, "HW_SINK_HTTP_PORT": str(sink_port), "HW_SINK_GROUP_ID": rid("sink-")},
        sink_port,
    )
    port, secret = free_port(), uuid4().hex
    _start(
        service_process,
        ["alerts"],
        {**env, "HW_API_URL": f"http://127.0.0.1:{port}", "HW_API_TOKEN_SECRET": secret},
        port,
    )
    exp = int(datetime.now(UTC).timestamp()) + 3600
    claims = {"sub": rid("u-"), "role": "monitor", "scope": DIVISION[:9], "exp": exp}
    token = issue(secret, Claims.model_validate(claims))
    return httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
    )


def _alarm(client: httpx.Client, alarm_id: str, state: str) -> dict[str, Any]:
    """Polls the alarm until the sink has brought it to `state`."""
    deadline, last = time.monotonic() + 60, None
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/alarms/{alarm_id}")
        if response.status_code == 200:
            last = dict(response.json())
            if last["alarm"]["state"] == state:
                return last
        time.sleep(0.2)
    raise AssertionError(f"alarm {alarm_id} never became {state}; last seen {last}")


def test_acknowledge_dispatch_resolve_close_over_http_give_exactly_those_events(
    api: httpx.Client,
    wire: Wire,
) -> None:
    client = api
    device, enterprise = rid("el-"), rid("E")
    wire.reading(device, enterprise, {"event": "trapped"}, family="elevator", channel="event")
    raised = wire.wait_for(
        lambda events: any(isinstance(e, AlarmRaised) and e.device_id == device for e in events)
    )
    alarm_id = next(e.alarm_id for e in raised if e.device_id == device)
    _alarm(client, alarm_id, "open")

    assert client.post(f"/api/v1/alarms/{alarm_id}/close").status_code == 409
    ack = f"ack-{uuid4().hex[:8]}"
    for _ in range(2):  # the same command id twice is one command
        response = client.post(f"/api/v1/alarms/{alarm_id}/acknowledge", json={"command_id": ack})
        assert (response.status_code, response.json()["command_id"]) == (202, ack)
    _alarm(client, alarm_id, "acknowledged")
    steps = [
        ("dispatch", {"assignee": "rescue-team"}, "dispatched"),
        ("resolve", {"cause": "real_leak"}, "resolved"),
        ("close", {"comment": "passenger freed"}, "closed"),
    ]
    for action, body, state in steps:
        assert client.post(f"/api/v1/alarms/{alarm_id}/{action}", json=body).status_code == 202
        detail = _alarm(client, alarm_id, state)

    assert [e["type"] for e in detail["events"]] == [
        "AlarmRaised",
        "Acknowledged",
        "Dispatched",
        "Resolved",
        "Closed",
    ]
    assert [e["seq"] for e in detail["events"]] == [1, 2, 3, 4, 5]
    assert detail["events"][1]["command_id"] == ack
