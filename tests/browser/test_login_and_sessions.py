"""Who gets in: each wrong login gets its own answer, sessions end when they should, and a
changing request without its CSRF token is refused."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, TOWNSHIP_A, Console, log_in


@pytest.fixture
def console_env() -> dict[str, str]:
    return {"HW_CONSOLE_SESSION_IDLE_S": "3"}


def _error(page) -> str | None:
    found = page.locator("[data-login-error]")
    return found.get_attribute("data-login-error") if found.count() else None


def test_each_failed_login_gets_its_answer_and_the_eleventh_is_refused(
    console_web: Console, open_page
) -> None:
    username = console_web.account("monitor", TOWNSHIP_A)
    disabled = console_web.account("monitor", TOWNSHIP_A)
    assert console_web.accounts is not None
    console_web.accounts.set_enabled(disabled, False)
    page = open_page()

    log_in(page, console_web.url, username, "not the password")
    assert _error(page) == "login.error.bad"
    expect(page.locator("[role=alert]")).to_contain_text("用户名或密码错误")
    log_in(page, console_web.url, "nobody-" + username, PASSWORD)
    assert _error(page) == "login.error.bad"  # an unknown user looks exactly the same
    log_in(page, console_web.url, disabled, PASSWORD)
    assert _error(page) == "login.error.disabled"

    for _ in range(9):  # ten failures for this username in all
        log_in(page, console_web.url, username, "still wrong")
    log_in(page, console_web.url, username, PASSWORD)  # even the right password now
    assert _error(page) == "login.error.refused"
    expect(page.locator("[role=alert]")).to_contain_text("分钟后再试")
    outcomes = [o for _at, _addr, o in console_web.accounts.login_events(username)]
    assert outcomes[0] == "refused" and outcomes.count("failure") == 10


def test_a_session_ends_at_logout_and_after_the_idle_timeout(
    console_web: Console, open_page
) -> None:
    username = console_web.account("monitor", TOWNSHIP_A)
    page = open_page(username)
    expect(page).to_have_url(f"{console_web.url}/console/board")
    cookie = next(c for c in page.context.cookies() if c["name"] == "hw_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    page.click("form[action='/console/logout'] button")
    expect(page).to_have_url(f"{console_web.url}/console/login")
    page.goto(f"{console_web.url}/console/board")
    expect(page).to_have_url(f"{console_web.url}/console/login?next=/console/board")

    log_in(page, console_web.url, username)
    expect(page).to_have_url(f"{console_web.url}/console/board")
    time.sleep(4)  # the idle timeout of this console is 3 s
    page.goto(f"{console_web.url}/console/devices")
    expect(page).to_have_url(f"{console_web.url}/console/login?next=/console/devices&expired=1")
    expect(page.locator("[role=status]")).to_contain_text("会话已超时")
    assert console_web.accounts is not None
    outcomes = [o for _at, _addr, o in console_web.accounts.login_events(username)]
    assert outcomes[:4] == ["expired", "login", "logout", "login"]


def test_a_changing_request_without_its_csrf_token_is_refused(
    console_web: Console, open_page
) -> None:
    username = console_web.account("monitor", TOWNSHIP_A)
    page = open_page(username)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    with httpx.Client(base_url=console_web.url, cookies=cookies) as client:
        response = client.post("/console/alarms/any-alarm/acknowledge", data={"comment": "x"})
        assert response.status_code == 403
        assert "安全令牌" in response.text
        logout = client.post("/console/logout", data={}, follow_redirects=False)
        assert logout.status_code == 403
    page.goto(f"{console_web.url}/console/board")
    expect(page).to_have_url(f"{console_web.url}/console/board")  # still logged in


def test_the_api_docs_render_from_the_service_s_own_assets(console_web: Console, open_page) -> None:
    page = open_page()
    page.goto(f"{console_web.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("hazardwatch", timeout=20_000)
    page.goto(f"{console_web.url}/")
    expect(page).to_have_url(f"{console_web.url}/console/login?next=/console/board")
