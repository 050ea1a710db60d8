"""Which command fits which alarm state (DOMAIN section 3), checked before a command is queued
so an obvious mistake gets its 409 at once. The stream worker stays the authority: whatever
slips through (a race with another user) comes back as a CommandRejected event."""

from __future__ import annotations

from alerts.errors import Conflict, Forbidden

ACTIONS = ("acknowledge", "dispatch", "resolve", "close", "supervise", "lift_supervision")

# action -> states it applies to
_FROM: dict[str, frozenset[str]] = {
    "acknowledge": frozenset({"open"}),
    "dispatch": frozenset({"acknowledged"}),
    "resolve": frozenset({"dispatched"}),
    "close": frozenset({"resolved"}),
    "supervise": frozenset({"open", "acknowledged", "dispatched", "resolved"}),
    "lift_supervision": frozenset({"open", "acknowledged", "dispatched", "resolved"}),
}
# Who may act: township monitors handle alarms, enterprises work on their own, regulators
# supervise (挂牌督办); admins may do everything.
_ROLES: dict[str, frozenset[str]] = {
    "acknowledge": frozenset({"monitor", "enterprise", "admin"}),
    "dispatch": frozenset({"monitor", "admin"}),
    "resolve": frozenset({"monitor", "enterprise", "admin"}),
    "close": frozenset({"monitor", "admin"}),
    "supervise": frozenset({"regulator", "admin"}),
    # Only the county lifts it: the worker refuses a scope narrower than a county's 6 digits
    # (CommandRejected "not_county"), which this check does not see.
    "lift_supervision": frozenset({"regulator", "admin"}),
}


def check(action: str, state: str, role: str, supervised: bool) -> None:
    if role not in _ROLES[action]:
        raise Forbidden(f"a {role} may not {action} an alarm")
    if state not in _FROM[action]:
        raise Conflict(f"cannot {action} an alarm that is {state}")
    if action == "supervise" and supervised:
        raise Conflict("the alarm is already under supervision")
    if action == "lift_supervision" and not supervised:
        raise Conflict("the alarm is not under supervision")


def allowed(state: str, role: str, supervised: bool) -> list[str]:
    """The actions `role` may take on an alarm in `state` now, in ACTIONS order."""
    found = []
    for action in ACTIONS:
        try:
            check(action, state, role, supervised)
        except (Conflict, Forbidden):
            continue
        found.append(action)
    return found
