"""Who may do what (DOMAIN section 3); the time limits are settings, `schemas.deadlines`."""

from __future__ import annotations

from schemas.commands import CommandKind, Role

ALLOWED_ROLES: dict[CommandKind, frozenset[Role]] = {
    "acknowledge": frozenset({"monitor", "enterprise", "admin"}),
    "dispatch": frozenset({"monitor", "admin"}),
    "resolve": frozenset({"monitor", "enterprise", "admin"}),
    "close": frozenset({"monitor", "admin"}),
    "supervise": frozenset({"regulator", "admin"}),
    # Only the county lifts a supervision (DOMAIN section 3): see `is_county`.
    "lift_supervision": frozenset({"regulator", "admin"}),
    "declare_maintenance": frozenset({"enterprise", "admin"}),
}

def in_scope(role: Role, scope: str, enterprise_id: str, division: str) -> bool:
    """DESIGN section 7: enterprises act on their own devices, officials within their prefix."""
    if role == "admin":
        return True
    if role == "enterprise":
        return scope == enterprise_id
    return bool(scope) and division.startswith(scope)


# A county regulator's scope is a 6-digit prefix; a shorter one (city, province) is above it.
COUNTY_PREFIX_DIGITS = 6


def is_county(role: Role, scope: str) -> bool:
    """Whether the actor speaks for a county (or above) or is an admin."""
    if role == "admin":
        return True
    return role == "regulator" and 0 < len(scope) <= COUNTY_PREFIX_DIGITS
