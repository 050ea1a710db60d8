"""Console accounts, their sessions and the login record in PostgreSQL (migration 0007).

Plain rows in, frozen records out: hashing, throttling and what a role may see are decided by
the alerts service (alerts/accounts/); this module only stores and finds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg

from storage.datastore import Datastore
from storage.errors import StorageError

_COLUMNS = "username, display_name, role, scope, families, password_hash, enabled, created_at"


class AccountExists(StorageError):
    def __init__(self, username: str) -> None:
        super().__init__(f"an account named {username!r} exists already")
        self.username = username


class UnknownAccount(StorageError):
    def __init__(self, username: str) -> None:
        super().__init__(f"no account named {username!r}")
        self.username = username


@dataclass(frozen=True)
class AccountRow:
    username: str
    display_name: str
    role: str
    scope: str
    families: tuple[str, ...]
    password_hash: str
    enabled: bool
    created_at: datetime | None = None  # None until stored


@dataclass(frozen=True)
class SessionRow:
    id: str
    username: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None


def _account(row: Sequence[object]) -> AccountRow:
    values = list(row)
    values[4] = tuple(values[4] or ())  # type: ignore[arg-type]
    return AccountRow(*values)  # type: ignore[arg-type]


class AccountRepository:
    def __init__(self, datastore: Datastore) -> None:
        self.datastore = datastore

    def add(self, row: AccountRow) -> None:
        try:
            with self.datastore.transaction() as conn:
                conn.execute(
                    "INSERT INTO accounts (username, display_name, role, scope, families,"
                    " password_hash, enabled) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (
                        row.username,
                        row.display_name,
                        row.role,
                        row.scope,
                        list(row.families),
                        row.password_hash,
                        row.enabled,
                    ),
                )
        except psycopg.errors.UniqueViolation as exc:
            raise AccountExists(row.username) from exc

    def get(self, username: str) -> AccountRow | None:
        with self.datastore.transaction() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM accounts WHERE username = %s", (username,)
            ).fetchone()
        return None if row is None else _account(row)

    def all(self) -> list[AccountRow]:
        with self.datastore.transaction() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM accounts ORDER BY username").fetchall()
        return [_account(r) for r in rows]

    def set_enabled(self, username: str, enabled: bool) -> None:
        """Disabling also ends the account's open sessions: it takes effect at once."""
        with self.datastore.transaction() as conn:
            done = conn.execute(
                "UPDATE accounts SET enabled = %s, updated_at = now() WHERE username = %s",
                (enabled, username),
            ).rowcount
            if not done:
                raise UnknownAccount(username)
            if not enabled:
                conn.execute(
                    "UPDATE console_sessions SET ended_at = now()"
                    " WHERE username = %s AND ended_at IS NULL",
                    (username,),
                )

    def set_password(self, username: str, password_hash: str) -> None:
        """A new password ends the account's open sessions (a leaked one stops working)."""
        with self.datastore.transaction() as conn:
            done = conn.execute(
                "UPDATE accounts SET password_hash = %s, updated_at = now() WHERE username = %s",
                (password_hash, username),
            ).rowcount
            if not done:
                raise UnknownAccount(username)
            conn.execute(
                "UPDATE console_sessions SET ended_at = now()"
                " WHERE username = %s AND ended_at IS NULL",
                (username,),
            )

    # -- the login record -------------------------------------------------------------------

    def record(self, username: str, address: str, outcome: str, detail: str = "") -> None:
        with self.datastore.transaction() as conn:
            conn.execute(
                "INSERT INTO login_events (username, address, outcome, detail)"
                " VALUES (%s, %s, %s, %s)",
                (username[:64], address[:64], outcome, detail[:200] or None),
            )

    def failures_since(self, username: str, address: str, since: datetime) -> tuple[int, int]:
        """Failed logins since `since`, counted (per username, per address); a successful login
        by the username resets its count."""
        with self.datastore.transaction() as conn:
            row = conn.execute(
                "SELECT"
                " (SELECT count(*) FROM login_events WHERE username = %(u)s AND at >= %(since)s"
                "   AND outcome IN ('failure', 'refused') AND at > coalesce((SELECT max(at)"
                "   FROM login_events WHERE username = %(u)s AND outcome = 'login'), '-infinity')),"
                " (SELECT count(*) FROM login_events WHERE address = %(a)s AND at >= %(since)s"
                "   AND outcome IN ('failure', 'refused'))",
                {"u": username[:64], "a": address[:64], "since": since},
            ).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def login_events(self, username: str, limit: int = 50) -> list[tuple[datetime, str, str]]:
        with self.datastore.transaction() as conn:
            rows = conn.execute(
                "SELECT at, address, outcome FROM login_events WHERE username = %s"
                " ORDER BY id DESC LIMIT %s",
                (username, limit),
            ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    # -- sessions ---------------------------------------------------------------------------

    def open_session(self, session_id: str, username: str, csrf_token: str, address: str) -> None:
        with self.datastore.transaction() as conn:
            conn.execute(
                "INSERT INTO console_sessions (id, username, csrf_token, address)"
                " VALUES (%s, %s, %s, %s)",
                (session_id, username, csrf_token, address[:64]),
            )

    def session(self, session_id: str) -> tuple[SessionRow, AccountRow] | None:
        with self.datastore.transaction() as conn:
            row = conn.execute(
                "SELECT s.id, s.username, s.csrf_token, s.created_at, s.last_seen_at, s.ended_at,"
                f" {', '.join('a.' + c.strip() for c in _COLUMNS.split(','))}"
                " FROM console_sessions s JOIN accounts a ON a.username = s.username"
                " WHERE s.id = %s",
                (session_id,),
            ).fetchone()
        if row is None:
            return None
        return SessionRow(*row[:6]), _account(row[6:])

    def touch(self, session_id: str) -> None:
        with self.datastore.transaction() as conn:
            conn.execute(
                "UPDATE console_sessions SET last_seen_at = now() WHERE id = %s", (session_id,)
            )

    def end_session(self, session_id: str) -> None:
        with self.datastore.transaction() as conn:
            conn.execute(
                "UPDATE console_sessions SET ended_at = now() WHERE id = %s AND ended_at IS NULL",
                (session_id,),
            )
