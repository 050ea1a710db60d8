"""A device that stops reporting goes offline; any message brings it back.

Silence is judged on the wall clock (`received_at` of the last message against a timer's
`now`), unlike the value rules which run on the device's clock. The moment of going offline is
the deadline `last_seen + offline_after_s`, not the timer's `now`: the same silence always
yields the same event, whichever timer run noticed it first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from schemas.families import Severity
from streams.rules.decisions import Cleared, Decision, Detected

CONDITION = "offline"
MIN_OFFLINE_AFTER_S = 30.0


@dataclass(frozen=True, slots=True)
class OfflineRule:
    offline_after_s: float = MIN_OFFLINE_AFTER_S
    severity: Severity = Severity.YELLOW
    # At a site of several devices, how long a device's own offline alarm waits for the site
    # aggregation to say the whole site went dark (then it is raised inhibited by the site
    # alarm: one alarm for the monitor, not N). 0 at single-device sites.
    site_hold_s: float = 0.0
    # How long it waits at most: the site aggregation releases it once `site_hold_s` has
    # passed on the site's clock, which stands still while the worker is behind on its
    # sweeps; this bound is for a site aggregation that does not answer at all.
    site_hold_max_s: float = 0.0

    @property
    def hold_limit_s(self) -> float:
        return max(self.site_hold_s, self.site_hold_max_s)


def offline_after(report_interval_s: float | None, override_s: float | None) -> float:
    """DOMAIN section 2: 3 × the reporting interval, at least 30 s, unless set per device."""
    if override_s is not None:
        return override_s
    if report_interval_s is None:
        return MIN_OFFLINE_AFTER_S
    return max(3 * report_interval_s, MIN_OFFLINE_AFTER_S)


class OfflineState(BaseModel):
    model_config = ConfigDict(frozen=True)

    last_seen: datetime | None = None
    offline: bool = False


def deadline(state: OfflineState, rule: OfflineRule) -> datetime | None:
    """When the device counts as offline if nothing arrives; None if already offline."""
    if state.offline or state.last_seen is None:
        return None
    return state.last_seen + timedelta(seconds=rule.offline_after_s)


def is_due(state: OfflineState, now: datetime, rule: OfflineRule) -> bool:
    due = deadline(state, rule)
    return due is not None and now >= due


def on_seen(state: OfflineState, received_at: datetime) -> tuple[OfflineState, list[Decision]]:
    last_seen = received_at if state.last_seen is None else max(state.last_seen, received_at)
    decisions: list[Decision] = [Cleared(CONDITION)] if state.offline else []
    return OfflineState(last_seen=last_seen), decisions


def on_tick(
    state: OfflineState, now: datetime, rule: OfflineRule
) -> tuple[OfflineState, list[Decision]]:
    if not is_due(state, now, rule):
        return state, []
    return OfflineState(last_seen=state.last_seen, offline=True), [detected(rule)]


def detected(rule: OfflineRule) -> Detected:
    message = f"no message for {rule.offline_after_s:g} s"
    return Detected(CONDITION, rule.severity, threshold=rule.offline_after_s, message=message)
