"""Who is asking: the session behind the cookie, the scope it grants, the CSRF check."""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from alerts.accounts.accounts import scope_of
from alerts.accounts.sessions import COOKIE, NoSession, Session, SessionExpired, resolve
from alerts.auth.scope import Scope
from alerts.console.config import ConsoleConfig
from alerts.errors import AlertsError, Forbidden
from alerts.services import Services


class LoginRequired(AlertsError):
    """No valid session: a page redirects to the login form, a feed or JSON call gets 401."""

    def __init__(self, next_path: str, expired: bool) -> None:
        super().__init__("login required")
        self.next_path = next_path
        self.expired = expired

    @property
    def location(self) -> str:
        flag = "&expired=1" if self.expired else ""
        return f"/console/login?next={quote(self.next_path, safe='/')}{flag}"


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def config(request: Request) -> ConsoleConfig:
    found = services(request).console
    assert found is not None, "the console is installed only with its configuration"
    return found


def session(request: Request) -> Session:
    cfg = config(request)
    try:
        return resolve(
            cfg.accounts,
            services(request).token_secret,
            request.cookies.get(COOKIE),
            cfg.session_idle,
        )
    except NoSession as exc:
        raise LoginRequired(request.url.path, expired=False) from exc
    except SessionExpired as exc:
        raise LoginRequired(request.url.path, expired=True) from exc


def scope(session: Annotated[Session, Depends(session)]) -> Scope:
    return scope_of(session.account)


def check_csrf(session: Session, token: str | None) -> None:
    if not token or not hmac.compare_digest(token, session.csrf_token):
        raise CsrfFailed("the form's security token is missing or stale; reload the page")


class CsrfFailed(Forbidden):
    """A changing request without the session's CSRF token."""


def address(request: Request) -> str:
    return request.client.host if request.client else "-"


SessionDep = Annotated[Session, Depends(session)]
ScopeDep = Annotated[Scope, Depends(scope)]
ServicesDep = Annotated[Services, Depends(services)]
ConfigDep = Annotated[ConsoleConfig, Depends(config)]
