"""Who may do what (DOMAIN section 3); the time limits are settings, `schemas.deadlines`."""

from __future__ import annotations

from schemas.commands import CommandKind, Role

ALLOWED_ROLES: dict[CommandKind, frozenset[Role]] = {
    "acknowledge": frozenset({"monitor", "enterprise", "admin"}),
    "dispatch": frozenset({"monitor", "admin"}),
    "resolve": frozenset({"monitor", "enterprise", "admin"}),
    "close": frozenset({"monitor", "admin"}),
    "supervise": frozenset({"regulator", "admin"}),
    "declare_maintenance": frozenset({"enterprise", "admin"}),
}

def in_scope(role: Role, scope: str, enterprise_id: str, division: str) -> bool:
    """DESIGN section 7: enterprises act on their own devices, officials within their prefix."""
    if role == "admin":
        return True
    if role == "enterprise":
        return scope == enterprise_id
    return bool(scope) and division.startswith(scope)
