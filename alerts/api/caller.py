"""Who is calling a self-service route: a bearer token (machines) or a console account
(people, by the session cookie), with the name the registry audit records.

DESIGN section 13: a person sees and does exactly what a token of the same role and scope
would, with the account as the actor. A cookie-authenticated write must carry the session's
CSRF token in `X-CSRF-Token`: a browser sends the cookie to any request, the header only from
the console's own pages.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from alerts.accounts.accounts import scope_of
from alerts.accounts.sessions import COOKIE, NoSession, SessionExpired, resolve
from alerts.api.deps import scope, services
from alerts.auth.scope import Scope
from alerts.errors import Forbidden, Unauthorized

_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_bearer = HTTPBearer(auto_error=False, description="token from `./run token`")


@dataclass(frozen=True)
class Caller:
    scope: Scope
    actor: str  # as the audit records it: token:<role>:<subject> or account:<username>


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    svc = services(request)
    cookie = request.cookies.get(COOKIE)
    if credentials is not None or svc.console is None or not cookie:
        found = scope(request, credentials)
        return Caller(found, f"token:{found.role}:{found.subject}")
    try:
        session = resolve(svc.console.accounts, svc.token_secret, cookie, svc.console.session_idle)
    except (NoSession, SessionExpired) as exc:
        raise Unauthorized("a bearer token or a console session is required") from exc
    if request.method not in _SAFE and not hmac.compare_digest(
        request.headers.get("X-CSRF-Token", ""), session.csrf_token
    ):
        raise Forbidden("a console session's change needs its CSRF token in X-CSRF-Token")
    return Caller(scope_of(session.account), f"account:{session.account.username}")


def caller_scope(found: Annotated[Caller, Depends(caller)]) -> Scope:
    return found.scope


CallerDep = Annotated[Caller, Depends(caller)]
# The scope of a token or of a console account: for routes people use from the console too.
CallerScopeDep = Annotated[Scope, Depends(caller_scope)]
