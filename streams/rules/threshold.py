"""Leveled thresholds with a raise delay and hysteresis (DOMAIN section 2).

A level is raised once the value has stayed at or above its threshold for `raise_after_s`;
the alarm steps down (or clears) only when the value has stayed below
`threshold × (1 − hysteresis)` for `clear_after_s`. Noise around a threshold therefore
raises at most once and never flaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from schemas.families import Severity
from streams.rules.decisions import Cleared, Decision, Detected, Sample, seconds_between


@dataclass(frozen=True, slots=True)
class Level:
    severity: Severity
    threshold: float
    raise_after_s: float = 0.0


@dataclass(frozen=True, slots=True)
class ThresholdRule:
    condition: str
    levels: tuple[Level, ...]  # ascending: level 1 first
    hysteresis: float = 0.1
    clear_after_s: float = 30.0

    def clear_point(self, level: int) -> float:
        return self.levels[level - 1].threshold * (1 - self.hysteresis)


class ThresholdState(BaseModel):
    model_config = ConfigDict(frozen=True)

    active: int = 0  # 0: nothing raised; k: level k (1-based) is the raised one
    reached_since: tuple[datetime | None, ...] = ()
    relaxed_since: datetime | None = None


def evaluate(
    state: ThresholdState, sample: Sample, rule: ThresholdRule
) -> tuple[ThresholdState, list[Decision]]:
    reached = _reached_since(state, sample, rule)
    due = _due_level(reached, sample.at, rule)
    if due > state.active:
        level = rule.levels[due - 1]
        raised = Detected(rule.condition, level.severity, sample.value, level.threshold)
        return ThresholdState(active=due, reached_since=reached), [raised]
    if state.active == 0 or sample.value >= rule.clear_point(state.active):
        return ThresholdState(active=state.active, reached_since=reached), []
    relaxed = state.relaxed_since or sample.at
    if seconds_between(relaxed, sample.at) < rule.clear_after_s:
        return ThresholdState(active=state.active, reached_since=reached, relaxed_since=relaxed), []
    return _step_down(state.active, reached, sample, rule)


def _reached_since(
    state: ThresholdState, sample: Sample, rule: ThresholdRule
) -> tuple[datetime | None, ...]:
    previous = state.reached_since or (None,) * len(rule.levels)
    return tuple(
        (since or sample.at) if sample.value >= level.threshold else None
        for since, level in zip(previous, rule.levels, strict=False)
    )


def _due_level(reached: tuple[datetime | None, ...], at: datetime, rule: ThresholdRule) -> int:
    due = 0
    for index, (since, level) in enumerate(zip(reached, rule.levels, strict=True), start=1):
        if since is not None and seconds_between(since, at) >= level.raise_after_s:
            due = index
    return due


def _step_down(
    active: int, reached: tuple[datetime | None, ...], sample: Sample, rule: ThresholdRule
) -> tuple[ThresholdState, list[Decision]]:
    # The highest lower level the value still holds (with hysteresis) stays raised.
    remaining = 0
    for level in range(active - 1, 0, -1):
        if sample.value >= rule.clear_point(level):
            remaining = level
            break
    state = ThresholdState(active=remaining, reached_since=reached)
    if remaining == 0:
        return state, [Cleared(rule.condition, sample.value)]
    level_rule = rule.levels[remaining - 1]
    return state, [
        Detected(rule.condition, level_rule.severity, sample.value, level_rule.threshold)
    ]
