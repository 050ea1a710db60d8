"""Uptime of a jurisdiction over a period: per enterprise, per township and in total, the
enterprises under the 95 % target, and one enterprise's offline episodes.

A device's online ratio over [start, end) is 1 - (seconds covered by its offline intervals,
`device_offline_intervals`, folded from its `offline` alarms) / (seconds elapsed, up to now).
A group's ratio is the mean over its registered devices, which (every device having the same
elapsed time) is also its online device-seconds over its device-seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storage.datastore import Datastore

ONLINE_TARGET = 0.95


@dataclass(frozen=True)
class DeviceScope:
    division_prefix: str = ""
    families: tuple[str, ...] = ()
    enterprise_id: str | None = None


@dataclass(frozen=True)
class GroupUptime:
    key: str  # enterprise id, township code (9 digits), or "" for the whole jurisdiction
    name: str  # the enterprise's name; the code for a township
    township: str
    devices: int
    online_ratio: float  # 0..1
    offline_episodes: int  # episodes overlapping the period


@dataclass(frozen=True)
class Uptime:
    start: datetime
    end: datetime  # the end of the period measured: never after now
    total: GroupUptime | None  # None when the scope has no device
    townships: list[GroupUptime]
    enterprises: list[GroupUptime]  # worst first

    @property
    def below_target(self) -> list[GroupUptime]:
        return [e for e in self.enterprises if e.online_ratio < ONLINE_TARGET]


@dataclass(frozen=True)
class Episode:
    device_id: str
    alarm_id: str
    started_at: datetime
    ended_at: datetime | None  # None: still offline
    offline_s: float  # inside the period


def _where(scope: DeviceScope) -> tuple[str, dict[str, Any]]:
    if scope.division_prefix and not scope.division_prefix.isdigit():
        raise ValueError(f"a division prefix is digits only, got {scope.division_prefix!r}")
    where = "e.division LIKE %(prefix)s"
    params: dict[str, Any] = {"prefix": scope.division_prefix + "%"}
    if scope.families:
        where += " AND d.family = ANY(%(families)s)"
        params["families"] = list(scope.families)
    if scope.enterprise_id is not None:
        where += " AND d.enterprise_id = %(enterprise)s"
        params["enterprise"] = scope.enterprise_id
    return where, params


_UPTIME = """
WITH scoped AS (
    SELECT d.id, d.enterprise_id, e.name, substr(e.division, 1, 9) AS township
    FROM devices d JOIN enterprises e ON e.id = d.enterprise_id WHERE {where}
), per_device AS (
    SELECT s.id, s.enterprise_id, s.name, s.township, count(i.alarm_id) AS episodes,
           coalesce(sum(extract(epoch FROM least(coalesce(i.ended_at, %(now)s), %(end)s)
                                         - greatest(i.started_at, %(start)s)))
                    -- LEAST/GREATEST skip NULLs: a device without an interval must add 0.
                    FILTER (WHERE i.alarm_id IS NOT NULL), 0) AS offline_s
    FROM scoped s LEFT JOIN device_offline_intervals i ON i.device_id = s.id
         AND i.started_at < %(end)s AND coalesce(i.ended_at, %(now)s) > %(start)s
    GROUP BY s.id, s.enterprise_id, s.name, s.township
)
SELECT GROUPING(enterprise_id), GROUPING(township), enterprise_id, min(name), township,
       count(*), avg(1 - offline_s / %(elapsed)s)::float8, sum(episodes)
FROM per_device GROUP BY GROUPING SETS ((enterprise_id, township), (township), ())
"""


def uptime(
    store: Datastore,
    scope: DeviceScope,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> Uptime:
    """Online ratios over [start, min(end, now)); an empty period (in the future) is None."""
    now = now or datetime.now(UTC)
    until = min(end, now)
    where, params = _where(scope)
    if until <= start:
        return Uptime(start, start, None, [], [])
    params.update(start=start, end=until, now=now, elapsed=(until - start).total_seconds())
    with store.transaction() as conn:
        # Custom plans only: the prefix decides whether an index or a scan is cheaper.
        rows = conn.execute(_UPTIME.format(where=where), params, prepare=False).fetchall()
    return _fold(start, until, rows)


def _fold(start: datetime, end: datetime, rows: Sequence[Sequence[Any]]) -> Uptime:
    total: GroupUptime | None = None
    townships: list[GroupUptime] = []
    enterprises: list[GroupUptime] = []
    for g_e, g_t, enterprise, name, township, devices, ratio, episodes in rows:
        if not devices:
            continue  # the grand total of an empty scope: no ratio to give
        if not g_e:
            enterprises.append(
                GroupUptime(enterprise, name, township, devices, ratio, int(episodes))
            )
        elif not g_t:
            townships.append(
                GroupUptime(township, township, township, devices, ratio, int(episodes))
            )
        else:
            total = GroupUptime("", "", "", devices, ratio, int(episodes))
    townships.sort(key=lambda g: g.key)
    enterprises.sort(key=lambda g: (g.online_ratio, g.key))
    return Uptime(start, end, total, townships, enterprises)


def episodes(
    store: Datastore,
    scope: DeviceScope,
    enterprise_id: str,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> list[Episode] | None:
    """One enterprise's offline episodes overlapping [start, end), oldest first; None when the
    enterprise has no device in the scope (the API's 404)."""
    now = now or datetime.now(UTC)
    where, params = _where(scope)
    params.update(enterprise_only=enterprise_id, start=start, end=min(end, now), now=now)
    with store.transaction() as conn:
        seen = conn.execute(
            "SELECT 1 FROM devices d JOIN enterprises e ON e.id = d.enterprise_id"
            f" WHERE {where} AND d.enterprise_id = %(enterprise_only)s LIMIT 1",
            params,
        ).fetchone()
        if seen is None:
            return None
        rows = conn.execute(
            "SELECT i.device_id, i.alarm_id, i.started_at, i.ended_at,"
            " extract(epoch FROM least(coalesce(i.ended_at, %(now)s), %(end)s)"
            "   - greatest(i.started_at, %(start)s))::float8"
            " FROM devices d JOIN enterprises e ON e.id = d.enterprise_id"
            " JOIN device_offline_intervals i ON i.device_id = d.id"
            f" WHERE {where} AND d.enterprise_id = %(enterprise_only)s"
            " AND i.started_at < %(end)s AND coalesce(i.ended_at, %(now)s) > %(start)s"
            " ORDER BY i.started_at, i.device_id",
            params,
        ).fetchall()
    return [Episode(*row) for row in rows]
