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

import psycopg

from storage.datastore import Datastore
from storage.devices import report_uptime
from storage.report_cache import ReportCache, period_days

ONLINE_TARGET_PCT = 95.0
REPEAT_TAMPER_FLAGS = 2  # tamper alarms in one period that make an enterprise a repeat offender

# How each figure is computed, in the words the page and the CSV print beside it.
HOW: dict[str, str] = {
    "alarms": "alarms raised in the period (AlarmRaised), by family and by the highest severity"
    " the alarm reached in its history (AlarmRaised, SeverityChanged)",
    "time_to_acknowledge": "seconds from AlarmRaised to the first Acknowledged, over the"
    " period's alarms that were acknowledged; median and 95th percentile (linear"
    " interpolation between closest ranks)",
    "time_to_close": "seconds from AlarmRaised to Closed, over the period's closed alarms;"
    " median and 95th percentile as above",
    "overdue": "alarms of the period with an Escalated event (a time limit was missed)",
    "supervised": "alarms of the period with a Supervised event (挂牌督办)",
    "false_alarm_rate": "per enterprise: alarms resolved as false_alarm / alarms resolved"
    " (Resolved.cause), of the period's alarms",
    "uptime": "per device and UTC day: 1 - offline seconds (offline alarm raised to condition"
    " cleared) / seconds of the day; per enterprise: the mean over days of its devices' mean",
    "online_rate": "the mean over the period's days of the mean uptime of every registered"
    " device in the jurisdiction",
    "below_95": "enterprises whose uptime over the period is below 95 %",
    "repeat_tamper_offender": f"enterprises with at least {REPEAT_TAMPER_FLAGS} tamper alarms"
    " (condition tamper_*) raised in the period",
}


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

    @property
    def repeat_tamper_offenders(self) -> list[EnterpriseRates]:
        return [e for e in self.enterprises if e.tamper_flags >= REPEAT_TAMPER_FLAGS]


@dataclass(frozen=True)
class Figure:
    """One number of the report, flat: the page and the CSV print the same list."""

    figure: str  # a key of HOW
    family: str = ""
    severity: str = ""
    enterprise: str = ""
    measure: str = ""  # median, p95, count, ratio, pct
    value: float | int | None = None


def figures(r: Report) -> list[Figure]:
    """Every figure of the report, in the order the page shows them."""
    out = [
        Figure("alarms", family=f, severity=s, measure="count", value=n)
        for (f, s), n in sorted(r.by_family_severity.items())
    ]
    for name, d in (("time_to_acknowledge", r.time_to_acknowledge),
                    ("time_to_close", r.time_to_close)):  # fmt: skip
        out += [Figure(name, measure="median_s", value=d.median_s),
                Figure(name, measure="p95_s", value=d.p95_s)]  # fmt: skip
    out += [Figure("overdue", measure="count", value=r.overdue),
            Figure("supervised", measure="count", value=r.supervised)]  # fmt: skip
    for e in r.enterprises:
        if e.resolved:
            out.append(Figure("false_alarm_rate", enterprise=e.enterprise_id, measure="ratio",
                              value=e.false_alarm_rate))  # fmt: skip
    out += [
        Figure("uptime", enterprise=e.enterprise_id, measure="pct", value=e.uptime_pct)
        for e in r.enterprises
        if e.uptime_pct is not None
    ]
    out.append(Figure("online_rate", measure="pct", value=r.online_rate_pct))
    uptimes = {e.enterprise_id: e.uptime_pct for e in r.enterprises}
    out += [Figure("below_95", enterprise=e, measure="pct", value=uptimes.get(e))
            for e in r.below_target]  # fmt: skip
    out += [
        Figure("repeat_tamper_offender", enterprise=e.enterprise_id, measure="count",
               value=e.tamper_flags)
        for e in r.repeat_tamper_offenders
    ]  # fmt: skip
    return out


# Alarms raised in the period and scope, with what happened to each later in the log, folded
# into the report's figures by the server: one row per (family, highest severity), one per
# enterprise and one total, instead of one row per alarm for Python to fold (at 5,000 alarms,
# moving and converting those rows cost more than the query itself).
# One pass over the log from the period's start, grouped by alarm: every event of an alarm
# raised in the period comes at or after its AlarmRaised and carries the alarm's division,
# family and enterprise. (Finding the period's alarms first and then each one's events cost
# an index probe per alarm: 28.9 s against 11.3 s at 1 M alarms, same figures.)
_ALARMS = """
WITH alarm AS (
    SELECT alarm_id,
           min(occurred_at) FILTER (WHERE type = 'AlarmRaised') AS raised_at,
           max(enterprise_id) AS enterprise_id, max(family) AS family,
           max(condition) AS condition,
           min(CASE severity WHEN 'red' THEN 1 WHEN 'orange' THEN 2 WHEN 'yellow' THEN 3
                             WHEN 'blue' THEN 4 END) AS top_rank,
           min(occurred_at) FILTER (WHERE type = 'Acknowledged') AS ack_at,
           min(occurred_at) FILTER (WHERE type = 'Closed') AS closed_at,
           bool_or(type = 'Escalated') AS overdue,
           bool_or(type = 'Supervised') AS supervised,
           -- The state machine allows one Resolved per alarm, so max() picks its cause.
           max(body ->> 'cause') FILTER (WHERE type = 'Resolved') AS cause
    FROM alarm_events
    WHERE division LIKE %(prefix)s AND occurred_at >= %(start)s
      AND (%(families)s::text[] IS NULL OR family = ANY(%(families)s))
    GROUP BY alarm_id
), period AS (
    SELECT enterprise_id, family, condition, top_rank, overdue, supervised, cause,
           extract(epoch FROM ack_at - raised_at)::float8 AS ack_s,
           extract(epoch FROM closed_at - raised_at)::float8 AS close_s
    FROM alarm WHERE raised_at >= %(start)s AND raised_at < %(end)s
)
SELECT GROUPING(family, top_rank) AS g_fs, GROUPING(enterprise_id) AS g_e,
       family, top_rank, enterprise_id, count(*),
       count(cause), count(*) FILTER (WHERE cause = 'false_alarm'),
       count(*) FILTER (WHERE condition LIKE 'tamper%%'),
       count(*) FILTER (WHERE overdue), count(*) FILTER (WHERE supervised),
       -- percentile_cont interpolates linearly between closest ranks, as `percentile` does.
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ack_s),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY ack_s),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY close_s),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY close_s)
FROM period GROUP BY GROUPING SETS ((family, top_rank), (enterprise_id), ())
"""
_RANKS = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}


@dataclass(frozen=True)
class _Tally:
    by_family_severity: dict[tuple[str, str], int]
    per_enterprise: dict[str, tuple[int, int, int]]  # resolved, false alarms, tamper flags
    time_to_acknowledge: Durations
    time_to_close: Durations
    overdue: int
    supervised: int


def _tally(rows: Sequence[Sequence[Any]]) -> _Tally:
    by_family_severity: dict[tuple[str, str], int] = {}
    per_enterprise: dict[str, tuple[int, int, int]] = {}
    ack = close = Durations(None, None)
    overdue = supervised = 0
    for row in rows:
        g_fs, g_e, family, rank, enterprise, n, resolved, false, tamper = row[:9]
        if not g_fs:
            by_family_severity[(family, _RANKS[rank])] = int(n)
        elif not g_e:
            per_enterprise[enterprise] = (int(resolved), int(false), int(tamper))
        else:
            overdue, supervised = int(row[9]), int(row[10])
            ack = Durations(row[11], row[12])
            close = Durations(row[13], row[14])
    return _Tally(by_family_severity, per_enterprise, ack, close, overdue, supervised)


def report(
    store: Datastore,
    division_prefix: str,
    start: datetime,
    end: datetime,
    families: Sequence[str] = (),
    cache: ReportCache | None = None,
) -> Report:
    """The report; with `cache`, its alarm figures are computed again only when an alarm of
    the period changed (uptime is always read fresh: it moves with the clock)."""
    if division_prefix and not division_prefix.isdigit():
        raise ValueError(f"a division prefix is digits only, got {division_prefix!r}")
    params = {
        "prefix": division_prefix + "%",
        "start": start,
        "end": end,
        "families": list(families) or None,
    }

    def compute(conn: psycopg.Connection) -> _Tally:
        # No JIT: the planner's row estimate for the join of the alarms with their handling is
        # far too high, which switches JIT on, and compiling the plan took 3.2 s of a 3.8 s
        # report (20,000 alarms, measured) while the query itself ran in 0.3 s.
        conn.execute("SET LOCAL jit = off")
        # Never prepared: after 5 runs a prepared statement may switch to a generic plan, which
        # cannot see the prefix or the families (+20 ms a report, measured at 1 M readings).
        return _tally(conn.execute(_ALARMS, params, prepare=False).fetchall())

    if cache is None:
        with store.transaction() as conn:
            tally = compute(conn)
    else:
        key = (division_prefix, start, end, tuple(sorted(families)))
        tally = cache.figures(store, key, division_prefix, period_days(start, end), compute)
    uptimes, day_rates = report_uptime(store, division_prefix, start.date(), end.date(), families)
    return Report(
        division_prefix=division_prefix,
        start=start,
        end=end,
        by_family_severity=tally.by_family_severity,
        time_to_acknowledge=tally.time_to_acknowledge,
        time_to_close=tally.time_to_close,
        overdue=tally.overdue,
        supervised=tally.supervised,
        enterprises=_enterprise_rates(tally.per_enterprise, uptimes),
        online_rate_pct=_mean([d.uptime_pct for d in day_rates]),
        below_target=sorted(e for e, pct in uptimes.items() if pct < ONLINE_TARGET_PCT),
    )


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _enterprise_rates(
    per_enterprise: dict[str, tuple[int, int, int]], uptimes: dict[str, float]
) -> list[EnterpriseRates]:
    rates = []
    for enterprise in sorted(set(per_enterprise) | set(uptimes)):
        resolved, false, tamper = per_enterprise.get(enterprise, (0, 0, 0))
        rates.append(
            EnterpriseRates(
                enterprise_id=enterprise,
                resolved=resolved,
                false_alarms=false,
                false_alarm_rate=false / resolved if resolved else 0.0,
                uptime_pct=uptimes.get(enterprise),
                tamper_flags=tamper,
            )
        )
    return rates
