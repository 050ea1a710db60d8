"""Interlock failure: a level-2 gas alarm whose linked shutoff valve does not close in time.

The state lives on the valve's key (the valve's own readings say whether it closed); the gas
detector asks for closure by sending a demand to the valve's key. A timer tick on the valve's
key then decides: still not `closed` after `interlock_s` → interlock failure (red).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from schemas.families import Severity
from streams.rules.decisions import Cleared, Decision, Detected

CONDITION = "interlock_failure"
CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class InterlockRule:
    interlock_s: float = 10.0
    severity: Severity = Severity.RED


class Demand(BaseModel):
    """A detector needs this valve closed by `deadline`."""

    model_config = ConfigDict(frozen=True)

    detector_id: str
    deadline: datetime


class InterlockState(BaseModel):
    model_config = ConfigDict(frozen=True)

    valve_state: str | None = None
    demands: tuple[Demand, ...] = ()
    active: bool = False


def on_demand(
    state: InterlockState, detector_id: str, at: datetime, rule: InterlockRule
) -> InterlockState:
    if state.valve_state == CLOSED:
        return state
    if any(demand.detector_id == detector_id for demand in state.demands):
        return state
    demand = Demand(detector_id=detector_id, deadline=at + timedelta(seconds=rule.interlock_s))
    return state.model_copy(update={"demands": (*state.demands, demand)})


def on_valve_state(
    state: InterlockState, valve_state: str
) -> tuple[InterlockState, list[Decision]]:
    if valve_state != CLOSED:
        return state.model_copy(update={"valve_state": valve_state}), []
    decisions: list[Decision] = [Cleared(CONDITION)] if state.active else []
    return InterlockState(valve_state=CLOSED), decisions


def next_deadline(state: InterlockState) -> datetime | None:
    return min((demand.deadline for demand in state.demands), default=None)


def on_tick(
    state: InterlockState, now: datetime, rule: InterlockRule
) -> tuple[InterlockState, list[Decision]]:
    overdue = [demand for demand in state.demands if demand.deadline <= now]
    if not overdue:
        return state, []
    pending = tuple(demand for demand in state.demands if demand.deadline > now)
    remaining = state.model_copy(update={"demands": pending, "active": True})
    if state.active:
        return remaining, []
    detectors = ", ".join(sorted(demand.detector_id for demand in overdue))
    message = f"valve not closed {rule.interlock_s:g} s after level-2 gas at {detectors}"
    return remaining, [
        Detected(CONDITION, rule.severity, threshold=rule.interlock_s, message=message)
    ]
