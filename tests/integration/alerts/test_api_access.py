"""Every endpoint refuses a missing, expired, forged or out-of-scope token (DESIGN 7 and 12):
in process (TestClient) and against a real alerts process serving HTTPS with the stack's
certificate (issue 22: "the API over HTTPS passes the existing scope tests")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from uuid import uuid4

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from alerts.services import Services
from alerts.settings import AlertsSettings
from deploy.stack import certs
from deploy.stack.config import StackConfig
from schemas.settings import Endpoints
from tests.conftest import endpoints_env, fresh_database, fresh_topics
from tests.integration.alerts.conftest import TokenFactory
from tests.integration.alerts.seed import NEIGHBOUR, TOWNSHIP, seed_alarm
from tests.support.https_alerts import HttpsAlerts, https_alerts

PUBLIC = {"/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc",
          "/openapi.json"}  # fmt: skip


@pytest.fixture(scope="module", params=["in-process", "https"])
def transport(request: pytest.FixtureRequest) -> str:
    # Module scope: pytest runs every test in process first, then every one over HTTPS, so
    # the HTTPS process starts once.
    return str(request.param)


@pytest.fixture(scope="module")
def https_api(
    stack: Endpoints, stack_config: StackConfig
) -> Iterator[tuple[HttpsAlerts, str, str]]:
    """One HTTPS alerts process for the module: (process, its database, its token secret), on
    topics of the module's own."""
    secret = uuid4().hex
    with fresh_topics(stack) as names, fresh_database(stack) as url, https_alerts(
        {**endpoints_env(stack.model_copy(update={"topic_prefix": names.prefix})),
         "HW_DATABASE_URL": url, "HW_API_TOKEN_SECRET": secret},
        certs.Authority(stack_config.tls),
        stack_config.logs,
    ) as api:
        yield api, url, secret


@pytest.fixture
def alerts_settings(
    alerts_settings: AlertsSettings, transport: str, request: pytest.FixtureRequest
) -> AlertsSettings:
    """Over HTTPS, the process's database and token secret: what a test seeds and signs is
    what the process serves."""
    if transport == "in-process":
        return alerts_settings
    _api, url, secret = request.getfixturevalue("https_api")
    return alerts_settings.model_copy(
        update={"database_url": SecretStr(url), "api_token_secret": SecretStr(secret)}
    )


@pytest.fixture
def client(
    client: TestClient, transport: str, services: Services, request: pytest.FixtureRequest
) -> TestClient | httpx.Client:
    if transport == "in-process":
        return client
    api: HttpsAlerts = request.getfixturevalue("https_api")[0]
    # The module's database outlives a test: each starts without the alarms of the ones
    # before, as it would with a database of its own.
    with services.store.transaction() as conn:
        conn.execute("DELETE FROM alarms")
    return api.client


def _protected(client: TestClient, alarm_id: str) -> list[tuple[str, str]]:
    """(method, concrete path) of every operation in the OpenAPI spec but the public ones."""
    fill = {
        "{alarm_id}": alarm_id,
        "{action}": "acknowledge",
        "{device_id}": "D" + uuid4().hex[:8],
        "{kind}": "weekly",
    }
    calls = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        if path in PUBLIC:
            continue
        for name, value in fill.items():
            path = path.replace(name, value)
        assert "{" not in path, f"a path parameter this test does not fill: {path}"
        calls += [(method.upper(), path) for method in operations]
    assert len(calls) >= 6, calls
    return calls


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _call(client: TestClient, method: str, path: str, token: str | None) -> int:
    headers = _bearer(token) if token is not None else {}
    status: int = client.request(method, path, headers=headers).status_code
    return status


def test_every_endpoint_refuses_a_request_without_a_token(
    client: TestClient, services: Services
) -> None:
    alarm = seed_alarm(services.store)
    for method, path in _protected(client, alarm["alarm_id"]):
        assert _call(client, method, path, None) == 401, (method, path)


@pytest.mark.parametrize("kind", ["expired", "forged", "garbage"])
def test_every_endpoint_refuses_a_bad_token(
    client: TestClient, services: Services, token: TokenFactory, kind: str
) -> None:
    bad = {
        "expired": token(role="admin", scope="*", ttl=timedelta(seconds=-1)),
        "forged": token(role="admin", scope="*", secret=uuid4().hex),
        "garbage": uuid4().hex,
    }[kind]
    alarm = seed_alarm(services.store)
    for method, path in _protected(client, alarm["alarm_id"]):
        assert _call(client, method, path, bad) == 401, (method, path)


def test_an_alarm_of_the_neighbouring_township_does_not_exist_for_a_monitor(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    theirs = seed_alarm(services.store, division=NEIGHBOUR + "001")
    mine = seed_alarm(services.store, division=TOWNSHIP + "001")
    monitor = _bearer(token(scope=TOWNSHIP))
    assert client.get(f"/api/v1/alarms/{theirs['alarm_id']}", headers=monitor).status_code == 404
    assert client.get(f"/api/v1/alarms/{mine['alarm_id']}", headers=monitor).status_code == 200
    response = client.post(f"/api/v1/alarms/{theirs['alarm_id']}/acknowledge", headers=monitor)
    assert response.status_code == 404
    listed = client.get("/api/v1/alarms", params={"state": "all"}, headers=monitor).json()
    assert [a["alarm_id"] for a in listed["items"]] == [mine["alarm_id"]]


def test_a_regulator_of_another_family_does_not_see_the_alarm(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    gas = seed_alarm(services.store, family="gas")
    fire = _bearer(token(role="regulator", scope="330106", families=("fire",)))
    gas_authority = _bearer(token(role="regulator", scope="330106", families=("gas", "shutoff")))
    path = f"/api/v1/alarms/{gas['alarm_id']}"
    assert client.get(path, headers=fire).status_code == 404
    assert client.get(path, headers=gas_authority).status_code == 200


def test_an_enterprise_sees_its_own_alarm_and_not_another_enterprises(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    own = f"E{uuid4().hex[:8]}"
    mine = seed_alarm(services.store, enterprise_id=own)
    other = seed_alarm(services.store)
    headers = _bearer(token(role="enterprise", scope=own))
    assert client.get(f"/api/v1/alarms/{mine['alarm_id']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/alarms/{other['alarm_id']}", headers=headers).status_code == 404
