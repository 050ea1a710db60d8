"""Who may do what, and the time limits per severity (DOMAIN section 3)."""

from __future__ import annotations

from datetime import timedelta

from schemas.commands import CommandKind, Role
from schemas.families import Severity

ALLOWED_ROLES: dict[CommandKind, frozenset[Role]] = {
    "acknowledge": frozenset({"monitor", "enterprise", "admin"}),
    "dispatch": frozenset({"monitor", "admin"}),
    "resolve": frozenset({"monitor", "enterprise", "admin"}),
    "close": frozenset({"monitor", "admin"}),
    "supervise": frozenset({"regulator", "admin"}),
    "declare_maintenance": frozenset({"enterprise", "admin"}),
}

# (acknowledge within, resolve within); blue alarms are informational and never escalate.
DEADLINES: dict[Severity, tuple[timedelta, timedelta]] = {
    Severity.RED: (timedelta(minutes=5), timedelta(hours=2)),
    Severity.ORANGE: (timedelta(minutes=15), timedelta(hours=24)),
    Severity.YELLOW: (timedelta(hours=1), timedelta(hours=72)),
}


def in_scope(role: Role, scope: str, enterprise_id: str, division: str) -> bool:
    """DESIGN section 7: enterprises act on their own devices, officials within their prefix."""
    if role == "admin":
        return True
    if role == "enterprise":
        return scope == enterprise_id
    return bool(scope) and division.startswith(scope)
