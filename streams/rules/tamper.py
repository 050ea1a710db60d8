"""Tamper evidence (DOMAIN section 1/2): a frozen value, or a device silenced repeatedly.

Flatline only counts non-zero values: a healthy detector in clean air reads exactly 0 for
days, while a live sensor at a non-zero reading always jitters in its last digit. Comparing
with peers (the domain's "while peers vary") would need cross-device state; not done here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from schemas.families import Severity
from streams.rules.decisions import Cleared, Decision, Detected, Sample, seconds_between

FLATLINE = "tamper_flatline"
OFFLINE_REPEATED = "tamper_offline_repeated"


@dataclass(frozen=True, slots=True)
class TamperRule:
    flatline_after_s: float = 3600.0
    offline_episodes: int = 3
    episode_window: timedelta = timedelta(hours=24)
    severity: Severity = Severity.ORANGE


class FlatlineState(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: float | None = None
    since: datetime | None = None
    active: bool = False


def evaluate_flatline(
    state: FlatlineState, sample: Sample, rule: TamperRule
) -> tuple[FlatlineState, list[Decision]]:
    if state.value != sample.value or state.since is None:
        cleared: list[Decision] = [Cleared(FLATLINE, sample.value)] if state.active else []
        return FlatlineState(value=sample.value, since=sample.at), cleared
    if state.active or sample.value == 0:
        return state, []
    if seconds_between(state.since, sample.at) < rule.flatline_after_s:
        return state, []
    message = f"value frozen at {sample.value:g} for {rule.flatline_after_s:g} s"
    return state.model_copy(update={"active": True}), [
        Detected(FLATLINE, rule.severity, sample.value, rule.flatline_after_s, message)
    ]


def evaluate_offline_episode(
    episodes: tuple[datetime, ...], started: datetime, rule: TamperRule
) -> tuple[tuple[datetime, ...], list[Decision]]:
    """Record one offline episode; the Nth within the window is a tamper flag."""
    recent = (*(at for at in episodes if started - at < rule.episode_window), started)
    if len(recent) < rule.offline_episodes:
        return recent, []
    message = f"{len(recent)} offline episodes within {rule.episode_window}"
    return recent, [
        Detected(OFFLINE_REPEATED, rule.severity, float(len(recent)), None, message)
    ]
