from __future__ import annotations

import pytest

from alerts import transitions
from alerts.errors import Conflict, Forbidden

LIFECYCLE = [
    ("acknowledge", "open"),
    ("dispatch", "acknowledged"),
    ("resolve", "dispatched"),
    ("close", "resolved"),
]
STATES = ("open", "acknowledged", "dispatched", "resolved", "closed")


@pytest.mark.parametrize(("action", "state"), LIFECYCLE)
def test_a_monitor_may_take_each_lifecycle_step_from_the_state_before_it(
    action: str, state: str
) -> None:
    transitions.check(action, state, "monitor", supervised=False)


@pytest.mark.parametrize(("action", "allowed"), LIFECYCLE)
def test_every_other_state_conflicts_with_a_lifecycle_step(action: str, allowed: str) -> None:
    for state in STATES:
        if state != allowed:
            with pytest.raises(Conflict):
                transitions.check(action, state, "monitor", supervised=False)


def test_closing_before_resolving_conflicts() -> None:
    with pytest.raises(Conflict, match="close"):
        transitions.check("close", "dispatched", "monitor", supervised=False)


def test_only_a_regulator_or_admin_supervises_and_only_once() -> None:
    transitions.check("supervise", "open", "regulator", supervised=False)
    with pytest.raises(Forbidden):
        transitions.check("supervise", "open", "monitor", supervised=False)
    with pytest.raises(Conflict):
        transitions.check("supervise", "open", "regulator", supervised=True)
    with pytest.raises(Conflict):
        transitions.check("supervise", "closed", "admin", supervised=False)


def test_a_regulator_may_not_close_an_alarm() -> None:
    with pytest.raises(Forbidden):
        transitions.check("close", "resolved", "regulator", supervised=False)
