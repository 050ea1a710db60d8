"""Discrete device events (fire alarm, trapped passenger, e-bike, faults) and valve states.

An event is a condition at once (`raise_after_s` = 0 for discrete events, DOMAIN section 2).
It stays raised until a person closes its alarm; repeating the event while the alarm is open
adds nothing (the aggregate ignores a detection at the same severity).
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.families import Family, Severity
from streams.rules.decisions import Cleared, Decision, Detected

FAULT = "device_fault"
VALVE_FAULT = "valve_fault"


@dataclass(frozen=True, slots=True)
class EventRule:
    condition: str
    severity: Severity


_RED, _ORANGE, _YELLOW = Severity.RED, Severity.ORANGE, Severity.YELLOW

EVENT_RULES: dict[Family, dict[str, EventRule]] = {
    Family.GAS: {
        "fault": EventRule(FAULT, _YELLOW),
        "out_of_range": EventRule(FAULT, _YELLOW),
        "calibration_overdue": EventRule(FAULT, _YELLOW),
    },
    Family.SHUTOFF: {"fault": EventRule(VALVE_FAULT, _ORANGE)},
    Family.ELEVATOR: {
        "trapped": EventRule("trapped", _RED),
        "door_open_while_moving": EventRule("door_open_while_moving", _ORANGE),
        "over_travel_top": EventRule("over_travel_top", _ORANGE),
        "over_travel_bottom": EventRule("over_travel_bottom", _ORANGE),
        "stop_outside_door_zone": EventRule("stop_outside_door_zone", _ORANGE),
        "safety_circuit_open": EventRule("safety_circuit_open", _ORANGE),
        "overspeed": EventRule("overspeed", _ORANGE),
        "ebike_detected": EventRule("ebike_detected", _YELLOW),
        "fault": EventRule(FAULT, _YELLOW),
    },
    Family.FIRE: {
        "fire_alarm": EventRule("fire_alarm", _RED),
        "fault": EventRule(FAULT, _YELLOW),
        "shielded": EventRule(FAULT, _YELLOW),
    },
}


def evaluate_event(family: Family, event: str) -> list[Decision]:
    """The decision for one named event; names without a rule mean nothing here."""
    rule = EVENT_RULES.get(family, {}).get(event)
    if rule is None:
        return []
    return [Detected(rule.condition, rule.severity, message=event)]


def evaluate_valve_state(previous: str | None, state: str) -> list[Decision]:
    """A valve reporting `fault` is a valve-fault alarm; leaving `fault` clears it."""
    if state == "fault" and previous != "fault":
        return [Detected(VALVE_FAULT, _ORANGE, message="valve reports fault")]
    if previous == "fault" and state != "fault":
        return [Cleared(VALVE_FAULT)]
    return []
