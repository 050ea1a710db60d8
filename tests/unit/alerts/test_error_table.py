from __future__ import annotations

from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alerts.api import errors
from alerts.errors import Conflict, Forbidden, NotFound, Unauthorized, Unavailable
from storage.errors import StorageError


def _client_raising(exc: Exception) -> TestClient:
    app = FastAPI()
    errors.install(app)

    @app.get("/boom")
    def boom() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Unauthorized, 401),
        (Forbidden, 403),
        (NotFound, 404),
        (Conflict, 409),
        (Unavailable, 503),
        (StorageError, 503),
    ],
)
def test_each_error_has_one_status_and_says_why(error: type[Exception], status: int) -> None:
    why = uuid4().hex[:8]
    response = _client_raising(error(why)).get("/boom")
    assert response.status_code == status
    assert response.json() == {"detail": why}


def test_a_401_asks_for_a_bearer_token() -> None:
    response = _client_raising(Unauthorized("no token")).get("/boom")
    assert response.headers["www-authenticate"] == "Bearer"
