"""Console sessions: a random id in a signed cookie, the row in PostgreSQL.

The cookie carries `<id>.<HMAC>`; the signature lets a forged or truncated cookie be turned away
without a database round trip, the row makes logout, the idle timeout and a disabled account
take effect in every API process at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alerts.errors import AlertsError
from storage.accounts import AccountRepository, AccountRow

COOKIE = "hw_session"
# The last-seen time is written at most this often: one write a minute, not one per request.
_TOUCH_EVERY = timedelta(seconds=60)


class NoSession(AlertsError):
    """No cookie, a forged one, or a session that was ended (logout, disabled account)."""


class SessionExpired(AlertsError):
    """The session was idle longer than the timeout."""


@dataclass(frozen=True)
class Session:
    id: str
    account: AccountRow
    csrf_token: str


def _key(secret: str) -> bytes:
    # Its own key, derived from the service secret, so a session cookie is never a valid token.
    return hmac.new(secret.encode(), b"hazardwatch console session", hashlib.sha256).digest()


def _sign(secret: str, session_id: str) -> str:
    return hmac.new(_key(secret), session_id.encode(), hashlib.sha256).hexdigest()


def open_session(
    repository: AccountRepository, secret: str, account: AccountRow, address: str
) -> tuple[str, Session]:
    """A new session for `account`: (cookie value, session)."""
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    repository.open_session(session_id, account.username, csrf, address)
    return f"{session_id}.{_sign(secret, session_id)}", Session(session_id, account, csrf)


def resolve(
    repository: AccountRepository, secret: str, cookie: str | None, idle: timedelta
) -> Session:
    if not cookie or "." not in cookie:
        raise NoSession("not logged in")
    session_id, signature = cookie.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(secret, session_id)):
        raise NoSession("not logged in")
    found = repository.session(session_id)
    if found is None:
        raise NoSession("not logged in")
    row, account = found
    if row.ended_at is not None or not account.enabled:
        raise NoSession("the session has ended")
    now = datetime.now(UTC)
    if now - row.last_seen_at > idle:
        repository.end_session(session_id)
        repository.record(account.username, "-", "expired")
        raise SessionExpired("the session expired")
    if now - row.last_seen_at > _TOUCH_EVERY:
        repository.touch(session_id)
    return Session(session_id, account, row.csrf_token)


def session_id_of(secret: str, cookie: str | None) -> str | None:
    """The id of a genuinely signed cookie, for logout."""
    if not cookie or "." not in cookie:
        return None
    session_id, signature = cookie.rsplit(".", 1)
    return session_id if hmac.compare_digest(signature, _sign(secret, session_id)) else None
