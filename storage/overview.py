"""The county overview (态势): per township of the caller's scope, its open alarms by severity,
overdue, supervised and suppressed, its devices online out of registered, and its worst
enterprises. Two grouped queries: open alarms (a few thousand, through the partial index
`alarms_open_newest`) and devices (registry + `device_status`).

Overdue means escalated already, or past its acknowledge or resolve limit now (the limits are
passed in: `schemas.deadlines.Deadlines`), so the figure does not wait for the worker's sweep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from storage.datastore import Datastore
from storage.uptime import DeviceScope

SEVERITIES = ("red", "orange", "yellow", "blue")
Limits = Mapping[str, tuple[float, float]]  # severity -> (ack within, resolve within), seconds


@dataclass(frozen=True)
class Figures:
    open_by_severity: dict[str, int]  # not suppressed, every severity present (0 when none)
    overdue: int
    supervised: int
    suppressed: int
    devices: int
    online: int

    @property
    def open(self) -> int:
        return sum(self.open_by_severity.values())

    @property
    def online_ratio(self) -> float | None:
        return self.online / self.devices if self.devices else None


@dataclass(frozen=True)
class EnterpriseFigures:
    enterprise_id: str
    name: str
    figures: Figures


@dataclass(frozen=True)
class TownshipFigures:
    township: str  # 9 digits
    figures: Figures
    worst: list[EnterpriseFigures] = field(default_factory=list)


@dataclass(frozen=True)
class Overview:
    at: datetime
    total: Figures
    townships: list[TownshipFigures]


_ALARMS = """
WITH limits AS (
    SELECT * FROM unnest(%(sev)s::text[], %(ack)s::float8[], %(res)s::float8[])
        AS l(severity, ack_s, resolve_s)
)
SELECT GROUPING(enterprise_id), GROUPING(township), township, enterprise_id,
       {by_severity},
       count(*) FILTER (WHERE NOT suppressed AND (escalation_level <> 'township'
           OR (acknowledged_at IS NULL AND raised_at + make_interval(secs => l.ack_s) < %(now)s)
           OR (resolved_at IS NULL AND raised_at + make_interval(secs => l.resolve_s) < %(now)s))),
       count(*) FILTER (WHERE supervised),
       count(*) FILTER (WHERE suppressed)
FROM (SELECT a.*, substr(a.division, 1, 9) AS township FROM alarms a
      WHERE a.state <> 'closed' AND {where}) a
LEFT JOIN limits l USING (severity)
GROUP BY GROUPING SETS ((township, enterprise_id), (township), ())
"""
_DEVICES = """
SELECT GROUPING(d.enterprise_id), GROUPING(substr(e.division, 1, 9)),
       substr(e.division, 1, 9), d.enterprise_id, min(e.name),
       count(*), count(*) FILTER (WHERE coalesce(s.online, true))
FROM devices d JOIN enterprises e ON e.id = d.enterprise_id
LEFT JOIN device_status s ON s.device_id = d.id
WHERE {where}
GROUP BY GROUPING SETS ((substr(e.division, 1, 9), d.enterprise_id), (substr(e.division, 1, 9)), ())
"""


def _alarm_where(scope: DeviceScope) -> tuple[str, dict[str, Any]]:
    if scope.division_prefix and not scope.division_prefix.isdigit():
        raise ValueError(f"a division prefix is digits only, got {scope.division_prefix!r}")
    where = "a.division LIKE %(prefix)s"
    params: dict[str, Any] = {"prefix": scope.division_prefix + "%"}
    if scope.families:
        where += " AND a.family = ANY(%(families)s)"
        params["families"] = list(scope.families)
    if scope.enterprise_id is not None:
        where += " AND a.enterprise_id = %(enterprise)s"
        params["enterprise"] = scope.enterprise_id
    return where, params


def overview(
    store: Datastore,
    scope: DeviceScope,
    limits: Limits,
    worst: int = 3,
    now: datetime | None = None,
) -> Overview:
    now = now or datetime.now(UTC)
    where, params = _alarm_where(scope)
    known = [s for s in SEVERITIES if s in limits]
    params.update(
        now=now,
        sev=known,
        ack=[limits[s][0] for s in known],
        res=[limits[s][1] for s in known],
    )
    by_severity = ", ".join(
        f"count(*) FILTER (WHERE NOT suppressed AND severity = '{s}')" for s in SEVERITIES
    )
    device_where = where.replace("a.division", "e.division").replace("a.family", "d.family")
    device_where = device_where.replace("a.enterprise_id", "d.enterprise_id")
    with store.transaction() as conn:
        alarms = conn.execute(
            _ALARMS.format(by_severity=by_severity, where=where), params, prepare=False
        ).fetchall()
        devices = conn.execute(
            _DEVICES.format(where=device_where), params, prepare=False
        ).fetchall()
    return _fold(now, alarms, devices, worst)


Key = tuple[str | None, str | None]  # (township, enterprise); None for "all"


def _fold(
    now: datetime, alarms: Sequence[Sequence[Any]], devices: Sequence[Sequence[Any]], worst: int
) -> Overview:
    counted: dict[Key, Sequence[Any]] = {}
    for row in alarms:
        counted[_key(row)] = row[4:]
    fleet: dict[Key, Sequence[Any]] = {}
    names: dict[str, str] = {}
    for row in devices:
        fleet[_key(row)] = row[5:]
        if not row[0]:
            names[row[3]] = row[4]

    def figures(key: Key) -> Figures:
        a = counted.get(key, (0,) * (len(SEVERITIES) + 3))
        d = fleet.get(key, (0, 0))
        n = len(SEVERITIES)
        return Figures(
            open_by_severity={s: int(a[i]) for i, s in enumerate(SEVERITIES)},
            overdue=int(a[n]),
            supervised=int(a[n + 1]),
            suppressed=int(a[n + 2]),
            devices=int(d[0]),
            online=int(d[1]),
        )

    keys = set(counted) | set(fleet)
    townships = sorted({t for t, e in keys if t is not None and e is None})
    result = []
    for township in townships:
        ranked = [
            EnterpriseFigures(e, names.get(e, e), figures((t, e)))
            for t, e in keys
            if t == township and e is not None
        ]
        ranked.sort(key=_badness)
        result.append(TownshipFigures(township, figures((township, None)), ranked[:worst]))
    return Overview(now, figures((None, None)), result)


def _key(row: Sequence[Any]) -> Key:
    g_enterprise, g_township, township, enterprise = row[:4]
    return (None if g_township else township, None if g_enterprise else enterprise)


def _badness(e: EnterpriseFigures) -> tuple[int, int, int, float, str]:
    """Worst first: most red open, then overdue, then open, then the lowest online ratio."""
    f = e.figures
    ratio = f.online_ratio if f.online_ratio is not None else 1.0
    return (-f.open_by_severity["red"], -f.overdue, -f.open, ratio, e.enterprise_id)
