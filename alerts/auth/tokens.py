"""Signed bearer tokens: `hw1.<claims, base64url JSON>.<HMAC-SHA256, base64url>`.

Compact and dependency-free; the service that verifies is the service that signs, so a shared
secret (HW_API_TOKEN_SECRET) is enough. The claims say who the caller is and what it may see.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alerts.errors import Unauthorized
from schemas.families import Family

Role = Literal["enterprise", "monitor", "regulator", "admin"]
_PREFIX = "hw1"


class Claims(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sub: str = Field(min_length=1, max_length=128)
    role: Role
    scope: str = Field(max_length=64)
    families: tuple[Family, ...] = ()
    exp: int  # epoch seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, f"{_PREFIX}.{body}".encode(), hashlib.sha256).digest())


def issue(secret: str, claims: Claims) -> str:
    if not secret:
        raise ValueError("an empty token secret signs nothing")
    body = _b64(claims.model_dump_json().encode())
    return f"{_PREFIX}.{body}.{_sign(secret.encode(), body)}"


def verify(secret: str, token: str, now: datetime | None = None) -> Claims:
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != _PREFIX or not secret:
        raise Unauthorized("malformed token")
    _, body, signature = parts
    if not hmac.compare_digest(signature, _sign(secret.encode(), body)):
        raise Unauthorized("bad token signature")
    try:
        claims = Claims.model_validate(json.loads(_unb64(body)))
    except (ValueError, ValidationError) as exc:
        raise Unauthorized("malformed token claims") from exc
    moment = now or datetime.now(UTC)
    if claims.exp <= moment.timestamp():
        raise Unauthorized("token expired")
    return claims
