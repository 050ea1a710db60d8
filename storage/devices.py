"""Device status and uptime queries (registry + device_status + offline intervals).

Uptime of a device for a day is the share of the day (up to now, for today) not covered by
one of its offline intervals; a jurisdiction's uptime is the mean over its registered devices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from storage.datastore import Datastore


@dataclass(frozen=True)
class DeviceStatus:
    device_id: str
    enterprise_id: str
    division: str
    family: str
    online: bool
    since: datetime | None  # None: never went offline
    offline_episodes: int


@dataclass(frozen=True)
class DayUptime:
    day: date
    uptime_pct: float


def _scope(prefix: str, families: Sequence[str]) -> tuple[str, dict[str, Any]]:
    if prefix and not prefix.isdigit():
        raise ValueError(f"a division prefix is digits only, got {prefix!r}")
    where = "e.division LIKE %(prefix)s"
    params: dict[str, Any] = {"prefix": prefix + "%"}
    if families:
        where += " AND d.family = ANY(%(families)s)"
        params["families"] = list(families)
    return where, params


def device_statuses(
    store: Datastore,
    division_prefix: str = "",
    families: Sequence[str] = (),
    online: bool | None = None,
) -> list[DeviceStatus]:
    """Registered devices in scope with their status; a device never offline is online."""
    where, params = _scope(division_prefix, families)
    if online is not None:
        where += " AND coalesce(s.online, true) = %(online)s"
        params["online"] = online
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT d.id, d.enterprise_id, e.division, d.family, coalesce(s.online, true),"
            " s.since, coalesce(s.offline_episodes, 0)"
            " FROM devices d JOIN enterprises e ON e.id = d.enterprise_id"
            f" LEFT JOIN device_status s ON s.device_id = d.id WHERE {where} ORDER BY d.id",
            params,
        ).fetchall()
    return [DeviceStatus(*row) for row in rows]


# Per device and UTC day: seconds offline inside the day, over the day's elapsed seconds.
_DAILY = """
WITH days AS (
    SELECT g AS day_start, g + interval '1 day' AS day_end
    FROM generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 day',
                         interval '1 day') g
), scoped AS ({devices}), per_device AS (
    SELECT s.device_id, s.grp, days.day_start,
           extract(epoch FROM least(days.day_end, now()) - days.day_start) AS elapsed,
           coalesce(sum(extract(epoch FROM
               least(coalesce(i.ended_at, now()), days.day_end)
               - greatest(i.started_at, days.day_start)))
               -- LEAST/GREATEST skip NULLs: without this filter a day with no
               -- interval would count as offline from its start until now.
               FILTER (WHERE i.alarm_id IS NOT NULL), 0) AS offline
    FROM scoped s CROSS JOIN days
    LEFT JOIN device_offline_intervals i ON i.device_id = s.device_id
         AND i.started_at < days.day_end AND coalesce(i.ended_at, now()) > days.day_start
    WHERE days.day_start < now()
    GROUP BY s.device_id, s.grp, days.day_start, days.day_end
)
SELECT grp, (day_start AT TIME ZONE 'UTC')::date, avg(100.0 * (1 - offline / elapsed)){extra}
FROM per_device GROUP BY {grouping} ORDER BY grp, day_start
"""
_BY_GROUP = {"extra": "", "grouping": "grp, day_start"}


def device_uptime(store: Datastore, device_id: str, start: date, end: date) -> list[DayUptime]:
    """Uptime % of one device for each UTC day in [start, end)."""
    sql = _DAILY.format(devices="SELECT %(device)s::text AS device_id, '' AS grp", **_BY_GROUP)
    return [day for _, day in _daily(store, sql, {"device": device_id}, start, end)]


def jurisdiction_uptime(
    store: Datastore, division_prefix: str, start: date, end: date, families: Sequence[str] = ()
) -> list[DayUptime]:
    """Mean uptime % of the registered devices in scope for each UTC day in [start, end)."""
    rows = _scoped_daily(store, "''", division_prefix, start, end, families)
    return [day for _, day in rows]


def enterprise_uptime(
    store: Datastore, division_prefix: str, start: date, end: date, families: Sequence[str] = ()
) -> dict[str, float]:
    """Mean uptime % over [start, end) of each enterprise in scope (mean of its daily means)."""
    rows = _scoped_daily(store, "d.enterprise_id", division_prefix, start, end, families)
    days: dict[str, list[float]] = {}
    for enterprise, day in rows:
        days.setdefault(enterprise, []).append(day.uptime_pct)
    return {e: sum(v) / len(v) for e, v in days.items()}


def _scoped_daily(
    store: Datastore, group: str, prefix: str, start: date, end: date, families: Sequence[str]
) -> list[tuple[str, DayUptime]]:
    where, params = _scope(prefix, families)
    devices = (
        f"SELECT d.id AS device_id, {group} AS grp FROM devices d"
        f" JOIN enterprises e ON e.id = d.enterprise_id WHERE {where}"
    )
    return _daily(store, _DAILY.format(devices=devices, **_BY_GROUP), params, start, end)


def report_uptime(
    store: Datastore, division_prefix: str, start: date, end: date, families: Sequence[str] = ()
) -> tuple[dict[str, float], list[DayUptime]]:
    """`enterprise_uptime` and `jurisdiction_uptime` of one scope from one query (a report
    needs both): the per-device daily figures are computed once and grouped two ways."""
    where, params = _scope(division_prefix, families)
    devices = (
        "SELECT d.id AS device_id, d.enterprise_id AS grp FROM devices d"
        f" JOIN enterprises e ON e.id = d.enterprise_id WHERE {where}"
    )
    sql = _DAILY.format(
        devices=devices,
        extra=", GROUPING(grp)",
        grouping="GROUPING SETS ((grp, day_start), (day_start))",
    )
    params = {**params, "start": _midnight(start), "end": _midnight(end)}
    with store.transaction() as conn:
        # Custom plans only, as for the report's alarm figures (storage.reports).
        rows = conn.execute(sql, params, prepare=False).fetchall()
    days: dict[str, list[float]] = {}
    jurisdiction = []
    for grp, day, pct, whole in rows:
        if whole:
            jurisdiction.append(DayUptime(day=day, uptime_pct=float(pct)))
        else:
            days.setdefault(grp, []).append(float(pct))
    return {e: sum(v) / len(v) for e, v in days.items()}, jurisdiction


def _daily(
    store: Datastore, sql: str, params: dict[str, Any], start: date, end: date
) -> list[tuple[str, DayUptime]]:
    params = {**params, "start": _midnight(start), "end": _midnight(end)}
    with store.transaction() as conn:
        rows = conn.execute(sql, params).fetchall()
    return [(row[0], DayUptime(day=row[1], uptime_pct=float(row[2]))) for row in rows]


def _midnight(day: date) -> str:
    return f"{day.isoformat()}T00:00:00+00:00"
