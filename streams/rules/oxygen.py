"""Oxygen outside its safe band: deficiency below 19.5 %VOL, enrichment above 23.5 %VOL.

Hysteresis is an absolute margin (a relative 10 % of 19.5 %VOL would span the whole band):
the condition clears once the value has stayed inside the narrowed band for `clear_after_s`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from schemas.families import Severity
from streams.rules.decisions import Cleared, Decision, Detected, Sample, seconds_between

CONDITION = "oxygen"


@dataclass(frozen=True, slots=True)
class OxygenRule:
    low: float = 19.5
    high: float = 23.5
    severity: Severity = Severity.ORANGE
    margin: float = 0.5
    raise_after_s: float = 5.0
    clear_after_s: float = 30.0


class OxygenState(BaseModel):
    model_config = ConfigDict(frozen=True)

    active: bool = False
    outside_since: datetime | None = None
    inside_since: datetime | None = None


def evaluate(
    state: OxygenState, sample: Sample, rule: OxygenRule
) -> tuple[OxygenState, list[Decision]]:
    if not state.active:
        if rule.low <= sample.value <= rule.high:
            return OxygenState(), []
        since = state.outside_since or sample.at
        if seconds_between(since, sample.at) < rule.raise_after_s:
            return OxygenState(outside_since=since), []
        bound = rule.low if sample.value < rule.low else rule.high
        return OxygenState(active=True), [
            Detected(CONDITION, rule.severity, sample.value, bound, _message(sample.value, rule))
        ]
    if not rule.low + rule.margin <= sample.value <= rule.high - rule.margin:
        return OxygenState(active=True), []
    since = state.inside_since or sample.at
    if seconds_between(since, sample.at) < rule.clear_after_s:
        return OxygenState(active=True, inside_since=since), []
    return OxygenState(), [Cleared(CONDITION, sample.value)]


def _message(value: float, rule: OxygenRule) -> str:
    return "oxygen deficiency" if value < rule.low else "oxygen enrichment"
