"""Creating and changing accounts: every rule a role's scope must follow, checked once here.

The CLI (`./run user ...`) calls these; so will any admin page. A scope is checked exactly as a
token's is (`alerts.auth.scope.Scope.of`), so a person can never hold a scope a token could not.
"""

from __future__ import annotations

import time
from dataclasses import replace

from pydantic import ValidationError

from alerts.accounts.passwords import hash_password
from alerts.auth.scope import Scope
from alerts.auth.tokens import Claims
from alerts.errors import Unauthorized
from schemas.families import Family
from storage.accounts import AccountRepository, AccountRow

ROLES = ("enterprise", "monitor", "regulator", "admin")


class InvalidAccount(ValueError):
    """A role, scope, families or name that does not fit."""


def scope_of(row: AccountRow) -> Scope:
    """What the account may see: the scope a token of the same role and scope would carry."""
    claims = Claims(
        sub=row.username,
        role=row.role,  # type: ignore[arg-type]
        scope=row.scope,
        families=tuple(Family(f) for f in row.families),
        exp=int(time.time()) + 3600,
    )
    return Scope.of(claims)


def new_account(
    username: str,
    role: str,
    scope: str,
    families: tuple[str, ...],
    display_name: str,
    password: str,
) -> AccountRow:
    """A validated account row (its password hashed); raises InvalidAccount or WeakPassword."""
    if role not in ROLES:
        raise InvalidAccount(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    try:
        parsed = tuple(Family(f) for f in families)
    except ValueError as exc:
        raise InvalidAccount(f"unknown family in {','.join(families)!r}") from exc
    if parsed and role != "regulator":
        raise InvalidAccount("only a regulator's scope is limited to families")
    row = AccountRow(
        username=username,
        display_name=display_name or username,
        role=role,
        scope=scope,
        families=tuple(f.value for f in parsed),
        password_hash="",
        enabled=True,
    )
    try:
        Claims(sub=username, role=role, scope=scope, exp=0)  # type: ignore[arg-type]
        scope_of(row)
    except ValidationError as exc:
        raise InvalidAccount(f"username or scope: {exc.errors()[0]['msg']}") from exc
    except Unauthorized as exc:
        raise InvalidAccount(str(exc)) from exc
    if not all(c.isalnum() or c in "_.@-" for c in username) or not 2 <= len(username) <= 64:
        raise InvalidAccount("a username is 2-64 letters, digits or _ . @ -")
    return replace(row, password_hash=hash_password(password))


def change_password(repository: AccountRepository, username: str, password: str) -> None:
    repository.set_password(username, hash_password(password))
