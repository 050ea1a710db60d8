"""An alerts application wired by its composition root against the real stack."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from alerts.accounts.accounts import new_account
from alerts.app import create_app
from alerts.auth.tokens import Claims, issue
from alerts.bootstrap import build
from alerts.services import Services
from alerts.settings import AlertsSettings
from schemas.settings import Endpoints
from storage.accounts import AccountRepository
from tests.integration.alerts.receiver import Receiver, serve

TokenFactory = Callable[..., str]
Login = Callable[..., TestClient]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def alerts_settings(endpoints: Endpoints, database_url: str) -> AlertsSettings:
    return AlertsSettings(
        **{**endpoints.model_dump(), "database_url": SecretStr(database_url)},
        api_token_secret=SecretStr(uuid4().hex),
        sse_heartbeat_s=0.5,
    )


@pytest.fixture
def services(alerts_settings: AlertsSettings) -> Iterator[Services]:
    built = build(alerts_settings)
    built.hub.start()
    assert built.hub.wait_ready(30), "the live feed never joined the event topic"
    yield built
    built.hub.stop()
    built.store.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services)) as test_client:
        yield test_client


@pytest.fixture
def token(services: Services) -> TokenFactory:
    def make(
        role: str = "monitor",
        scope: str = "330106001",
        families: tuple[str, ...] = (),
        ttl: timedelta = timedelta(hours=1),
        secret: str | None = None,
    ) -> str:
        claims = Claims.model_validate(
            {
                "sub": f"u-{uuid4().hex[:8]}",
                "role": role,
                "scope": scope,
                "families": families,
                "exp": int((datetime.now(UTC) + ttl).timestamp()),
            }
        )
        return issue(secret or services.token_secret, claims)

    return make


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve() as started:
        yield started


@pytest.fixture
def login(client: TestClient, services: Services) -> Login:
    def as_(role: str, scope: str, families: tuple[str, ...] = ()) -> TestClient:
        username = f"{role[:3]}-{uuid4().hex[:6]}"
        AccountRepository(services.store).add(
            new_account(username, role, scope, families, username, PASSWORD)
        )
        client.cookies.clear()
        form = client.get("/console/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        done = client.post(
            "/console/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        return client

    return as_
