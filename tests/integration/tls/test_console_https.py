"""The alerts service over HTTPS with the stack's server certificate (issue 22): HSTS, Secure +
HttpOnly + SameSite cookies, the API's token checks unchanged; plain HTTP off loopback refused."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from http.cookies import SimpleCookie

import httpx
import pytest

from alerts.accounts.accounts import new_account
from alerts.auth.tokens import Claims, issue
from deploy.stack import certs
from deploy.stack.config import StackConfig
from schemas.settings import Endpoints
from storage.accounts import AccountRepository
from storage.datastore import Datastore
from tests.conftest import endpoints_env
from tests.support.https_alerts import https_alerts
from tests.support.processes import ServiceProcess, free_port

PASSWORD = "correct horse battery staple"
SECRET = uuid.uuid4().hex


@pytest.fixture
def https_api(
    endpoints: Endpoints, database_url: str, stack_config: StackConfig
) -> Iterator[tuple[str, httpx.Client]]:
    env = {**endpoints_env(endpoints), "HW_DATABASE_URL": database_url,
           "HW_API_TOKEN_SECRET": SECRET}
    with https_alerts(env, certs.Authority(stack_config.tls), stack_config.logs) as api:
        yield api.url, api.client


def _cookie(response: httpx.Response, name: str) -> str:
    """The raw Set-Cookie header of `name`, attributes included."""
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert headers, response.headers
    return headers[0]


def _attributes(header: str) -> dict[str, str | bool]:
    morsel = next(iter(SimpleCookie(header).values()))
    return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]),
            "samesite": str(morsel["samesite"]).lower()}


def test_the_console_over_https_sends_hsts_and_secure_httponly_samesite_cookies(
    https_api: tuple[str, httpx.Client], database_url: str
) -> None:
    url, client = https_api
    username = f"mon-{uuid.uuid4().hex[:6]}"
    with Datastore(database_url) as store:
        AccountRepository(store).add(
            new_account(username, "monitor", "330106001", (), username, PASSWORD)
        )
    form = client.get("/console/login")
    assert form.headers["strict-transport-security"] == f"max-age={365 * 86400}"
    csrf_cookie = _cookie(form, "hw_login_csrf")
    assert _attributes(csrf_cookie) == {"secure": True, "httponly": True, "samesite": "strict"}
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    done = client.post(
        "/console/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert "strict-transport-security" in done.headers
    assert _attributes(_cookie(done, "hw_session")) == {
        "secure": True, "httponly": True, "samesite": "strict",
    }
    # The same port does not speak plain HTTP.
    with pytest.raises(httpx.HTTPError):
        httpx.get(url.replace("https://", "http://") + "/healthz", timeout=5.0)


def test_the_api_over_https_checks_tokens_and_scope_as_over_http(
    https_api: tuple[str, httpx.Client],
) -> None:
    _url, client = https_api
    assert client.get("/api/v1/alarms").status_code == 401
    claims = Claims(sub="t", role="monitor", scope="330106001", exp=int(time.time()) + 600)
    auth = {"Authorization": f"Bearer {issue(SECRET, claims)}"}
    assert client.get("/api/v1/alarms", headers=auth).status_code == 200
    assert client.get(f"/api/v1/alarms/{uuid.uuid4()}", headers=auth).status_code == 404


def test_behind_a_tls_proxy_on_this_host_cookies_are_secure_and_hsts_is_sent(
    endpoints: Endpoints, database_url: str, stack_config: StackConfig
) -> None:
    port = free_port()
    proc = ServiceProcess(
        ["alerts"],
        {**endpoints_env(endpoints), "HW_DATABASE_URL": database_url,
         "HW_API_URL": f"http://127.0.0.1:{port}", "HW_API_TOKEN_SECRET": SECRET},
        port,
        stack_config.logs / f"test-alerts-proxy-{port}.log",
    ).start()
    try:
        proc.wait_ready()
        url = f"http://127.0.0.1:{port}/console/login"
        direct = httpx.get(url, timeout=10.0)
        proxied = httpx.get(url, headers={"X-Forwarded-Proto": "https"}, timeout=10.0)
    finally:
        proc.stop()
        proc.log.unlink(missing_ok=True)
    assert "strict-transport-security" not in direct.headers
    assert _attributes(_cookie(direct, "hw_login_csrf"))["secure"] is False
    assert "strict-transport-security" in proxied.headers
    assert _attributes(_cookie(proxied, "hw_login_csrf"))["secure"] is True


def test_plain_http_off_loopback_is_refused_at_start(endpoints: Endpoints) -> None:
    env = {**endpoints_env(endpoints), "HW_API_URL": f"http://0.0.0.0:{free_port()}",
           "HW_API_TOKEN_SECRET": SECRET}
    done = subprocess.run([sys.executable, "-m", "alerts"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "plain HTTP is served on loopback only" in done.stderr
