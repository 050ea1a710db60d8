"""Request dependencies: the services, and the caller's scope from the bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from alerts.auth.scope import Scope
from alerts.auth.tokens import verify
from alerts.errors import Unauthorized
from alerts.services import Services

_bearer = HTTPBearer(auto_error=False, description="token from `./run token`")


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def scope(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Scope:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer token is required")
    return Scope.of(verify(services(request).token_secret, credentials.credentials))


ScopeDep = Annotated[Scope, Depends(scope)]
ServicesDep = Annotated[Services, Depends(services)]
