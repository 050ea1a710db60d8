"""`/console/login` and `/console/logout`."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from alerts.accounts.login import LoginFailed, LoginRefused, log_in
from alerts.accounts.sessions import COOKIE, open_session, session_id_of
from alerts.console.auth import ConfigDep, ServicesDep, address
from alerts.console.templating import render

router = APIRouter(prefix="/console", include_in_schema=False)

# The login form has no session yet: its CSRF token is a cookie the form must echo.
_LOGIN_CSRF = "hw_login_csrf"


def _safe_next(path: str | None) -> str:
    # Only a path of this console: never an open redirect to another site.
    if path and path.startswith("/console/") and not path.startswith("//"):
        return path
    return "/console/board"


def _form(
    request: Request, status: int = 200, error: str | None = None, **extra: Any
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status_code=status,
        login_csrf=token,
        next_path=_safe_next(request.query_params.get("next") or str(extra.pop("next_path", ""))),
        error=error,
        expired=request.query_params.get("expired") == "1",
        **extra,
    )
    response.set_cookie(_LOGIN_CSRF, token, httponly=True, samesite="strict", path="/console",
                        secure=request.url.scheme == "https")
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _form(request)


@router.post("/login")
def login(
    request: Request,
    svc: ServicesDep,
    cfg: ConfigDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    expected = request.cookies.get(_LOGIN_CSRF, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _form(request, 403, "login.error.csrf", next_path=next_path, username=username)
    try:
        account = log_in(cfg.accounts, cfg.throttle, username, password, address(request))
    except LoginRefused as exc:
        response = _form(request, 429, "login.error.refused", next_path=next_path,
                         username=username, retry_minutes=max(1, round(exc.retry_after_s / 60)))
        response.headers["Retry-After"] = str(int(exc.retry_after_s))
        return response
    except LoginFailed as exc:
        key = "login.error.disabled" if exc.reason == "disabled" else "login.error.bad"
        return _form(request, 401, key, next_path=next_path, username=username)
    cookie, _session = open_session(cfg.accounts, svc.token_secret, account, address(request))
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        httponly=True,
        samesite="strict",
        # Also behind a TLS-terminating proxy on this host (X-Forwarded-Proto: https).
        secure=cfg.secure_cookies or request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(_LOGIN_CSRF, path="/console")
    return response


@router.post("/logout")
def logout(
    request: Request,
    svc: ServicesDep,
    cfg: ConfigDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    session_id = session_id_of(svc.token_secret, request.cookies.get(COOKIE))
    if session_id is not None:
        found = cfg.accounts.session(session_id)
        if found is not None:
            row, account = found
            if not hmac.compare_digest(csrf_token, row.csrf_token):
                return render(request, "error.html", status_code=403, message="error.csrf")
            cfg.accounts.end_session(session_id)
            cfg.accounts.record(account.username, address(request), "logout")
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
