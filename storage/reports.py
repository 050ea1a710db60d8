"""The periodic report of DOMAIN section 5, computed from the alarm event log.

Everything but uptime is derived from `alarm_events` alone (not from the projections), so the
numbers can be reproduced from `hw.alarm-events.v1`. The period selects alarms *raised* in
[start, end); their handling is followed to the end of the log as it stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.datastore import Datastore
from storage.devices import enterprise_uptime, jurisdiction_uptime

ONLINE_TARGET_PCT = 95.0


@dataclass(frozen=True)
class Durations:
    """Seconds; None when no alarm of the period reached that step."""

    median_s: float | None
    p95_s: float | None


@dataclass(frozen=True)
class EnterpriseRates:
    enterprise_id: str
    resolved: int
    false_alarms: int
    false_alarm_rate: float  # 0..1 of resolved alarms
    uptime_pct: float | None
    tamper_flags: int


@dataclass(frozen=True)
class Report:
    division_prefix: str
    start: datetime
    end: datetime
    by_family_severity: dict[tuple[str, str], int]  # (family, highest severity) -> alarms
    time_to_acknowledge: Durations
    time_to_close: Durations
    overdue: int
    supervised: int
    enterprises: list[EnterpriseRates]
    online_rate_pct: float | None
    below_target: list[str]  # enterprises whose device uptime is below 95 %


# Alarms raised in the period and scope, with what happened to each later in the log.
_ALARMS = """
WITH raised AS (
    SELECT alarm_id, enterprise_id, family, condition, occurred_at AS raised_at
    FROM alarm_events
    WHERE type = 'AlarmRaised' AND division LIKE %(prefix)s
      AND occurred_at >= %(start)s AND occurred_at < %(end)s
      AND (%(families)s::text[] IS NULL OR family = ANY(%(families)s))
), handling AS (
    -- One key per group and no ordered aggregate: lets PostgreSQL hash instead of sort.
    -- The state machine allows one Resolved per alarm, so max() picks its cause.
    SELECT alarm_id,
           min(CASE severity WHEN 'red' THEN 1 WHEN 'orange' THEN 2 WHEN 'yellow' THEN 3
                             WHEN 'blue' THEN 4 END) AS top_rank,
           min(occurred_at) FILTER (WHERE type = 'Acknowledged') AS ack_at,
           min(occurred_at) FILTER (WHERE type = 'Closed') AS closed_at,
           bool_or(type = 'Escalated') AS overdue,
           bool_or(type = 'Supervised') AS supervised,
           max(body ->> 'cause') FILTER (WHERE type = 'Resolved') AS cause
    FROM alarm_events WHERE alarm_id IN (SELECT alarm_id FROM raised)
    GROUP BY alarm_id
)
SELECT r.alarm_id, r.enterprise_id, r.family, r.condition, h.top_rank,
       extract(epoch FROM h.ack_at - r.raised_at), extract(epoch FROM h.closed_at - r.raised_at),
       h.overdue, h.supervised, h.cause
FROM raised r JOIN handling h USING (alarm_id)
"""
_RANKS = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}


def report(
    store: Datastore,
    division_prefix: str,
    start: datetime,
    end: datetime,
    families: Sequence[str] = (),
) -> Report:
    if division_prefix and not division_prefix.isdigit():
        raise ValueError(f"a division prefix is digits only, got {division_prefix!r}")
    params = {
        "prefix": division_prefix + "%",
        "start": start,
        "end": end,
        "families": list(families) or None,
    }
    with store.transaction() as conn:
        alarms = conn.execute(_ALARMS, params).fetchall()
    uptimes = enterprise_uptime(store, division_prefix, start.date(), end.date(), families)
    enterprises = _enterprise_rates(alarms, uptimes)
    day_rates = jurisdiction_uptime(store, division_prefix, start.date(), end.date(), families)
    return Report(
        division_prefix=division_prefix,
        start=start,
        end=end,
        by_family_severity=_by_family_severity(alarms),
        time_to_acknowledge=_durations([a[5] for a in alarms]),
        time_to_close=_durations([a[6] for a in alarms]),
        overdue=sum(1 for a in alarms if a[7]),
        supervised=sum(1 for a in alarms if a[8]),
        enterprises=enterprises,
        online_rate_pct=_mean([d.uptime_pct for d in day_rates]),
        below_target=sorted(e for e, pct in uptimes.items() if pct < ONLINE_TARGET_PCT),
    )


def _by_family_severity(alarms: Sequence[Sequence[Any]]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for alarm in alarms:
        key = (alarm[2], _RANKS[alarm[4]])
        counts[key] = counts.get(key, 0) + 1
    return counts


def _durations(values: Sequence[Any]) -> Durations:
    present = sorted(float(v) for v in values if v is not None)
    if not present:
        return Durations(None, None)
    return Durations(percentile(present, 0.5), percentile(present, 0.95))


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _enterprise_rates(
    alarms: Sequence[Sequence[Any]], uptimes: dict[str, float]
) -> list[EnterpriseRates]:
    ids = sorted({a[1] for a in alarms} | set(uptimes))
    rates = []
    for enterprise in ids:
        mine = [a for a in alarms if a[1] == enterprise]
        resolved = [a for a in mine if a[9] is not None]
        false = sum(1 for a in resolved if a[9] == "false_alarm")
        rates.append(
            EnterpriseRates(
                enterprise_id=enterprise,
                resolved=len(resolved),
                false_alarms=false,
                false_alarm_rate=false / len(resolved) if resolved else 0.0,
                uptime_pct=uptimes.get(enterprise),
                tamper_flags=sum(1 for a in mine if str(a[3]).startswith("tamper")),
            )
        )
    return rates
