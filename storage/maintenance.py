"""Declared maintenance windows (migration 0011): the audit record of who declared which window
when, and the alarms each window suppressed (their `Suppressed` events name the window).

A reader sees a window when at least one of its devices is in their scope, and sees only
those devices and the alarms of those devices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from storage.datastore import Datastore
from storage.uptime import DeviceScope

WindowState = Literal["current", "past", "upcoming", "all"]


@dataclass(frozen=True)
class WindowDevice:
    device_id: str
    enterprise_id: str
    division: str
    family: str


@dataclass(frozen=True)
class SuppressedAlarm:
    alarm_id: str
    device_id: str
    condition: str
    severity: str
    suppressed_at: datetime
    state: str | None  # the alarm's state now (None if its projection is missing)


@dataclass(frozen=True)
class Window:
    window_id: str
    reason: str
    starts_at: datetime
    ends_at: datetime
    declared_by: str
    declared_role: str
    declared_at: datetime
    devices: list[WindowDevice]
    suppressed: list[SuppressedAlarm]


def record(
    store: Datastore,
    *,
    window_id: str,
    reason: str,
    starts_at: datetime,
    ends_at: datetime,
    declared_by: str,
    declared_role: str,
    devices: Sequence[WindowDevice],
) -> bool:
    """Store a declared window; False when that window id was recorded already (a repeat of
    the same declaration changes nothing, like its commands)."""
    with store.transaction() as conn:
        inserted = conn.execute(
            "INSERT INTO maintenance_windows (window_id, reason, starts_at, ends_at,"
            " declared_by, declared_role) VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (window_id) DO NOTHING RETURNING window_id",
            (window_id, reason, starts_at, ends_at, declared_by, declared_role),
        ).fetchone()
        if inserted is None:
            return False
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO maintenance_window_devices"
                " (window_id, device_id, enterprise_id, division, family)"
                " VALUES (%s, %s, %s, %s, %s)",
                [(window_id, d.device_id, d.enterprise_id, d.division, d.family) for d in devices],
            )
    return True


def _device_where(scope: DeviceScope) -> tuple[str, dict[str, Any]]:
    if scope.division_prefix and not scope.division_prefix.isdigit():
        raise ValueError(f"a division prefix is digits only, got {scope.division_prefix!r}")
    where = "wd.division LIKE %(prefix)s"
    params: dict[str, Any] = {"prefix": scope.division_prefix + "%"}
    if scope.families:
        where += " AND wd.family = ANY(%(families)s)"
        params["families"] = list(scope.families)
    if scope.enterprise_id is not None:
        where += " AND wd.enterprise_id = %(enterprise)s"
        params["enterprise"] = scope.enterprise_id
    return where, params


_STATES = {
    "current": "w.starts_at <= %(now)s AND w.ends_at > %(now)s",
    "past": "w.ends_at <= %(now)s",
    "upcoming": "w.starts_at > %(now)s",
    "all": "true",
}


def windows(
    store: Datastore,
    scope: DeviceScope,
    now: datetime,
    state: WindowState = "all",
    limit: int = 100,
) -> list[Window]:
    """Windows with a device in scope, latest start first, each with its visible devices and
    the alarms it suppressed on them."""
    where, params = _device_where(scope)
    params.update(now=now, limit=limit)
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT w.window_id, w.reason, w.starts_at, w.ends_at, w.declared_by,"
            " w.declared_role, w.declared_at,"
            " array_agg(ARRAY[wd.device_id, wd.enterprise_id, wd.division, wd.family]"
            "           ORDER BY wd.device_id)"
            " FROM maintenance_windows w JOIN maintenance_window_devices wd USING (window_id)"
            f" WHERE {where} AND {_STATES[state]}"
            " GROUP BY w.window_id ORDER BY w.starts_at DESC, w.window_id LIMIT %(limit)s",
            params,
        ).fetchall()
        found = {r[0]: [WindowDevice(*d) for d in r[7]] for r in rows}
        suppressed = _suppressed(conn, rows, found)
    return [
        Window(
            window_id=r[0],
            reason=r[1],
            starts_at=r[2],
            ends_at=r[3],
            declared_by=r[4],
            declared_role=r[5],
            declared_at=r[6],
            devices=found[r[0]],
            suppressed=suppressed.get(r[0], []),
        )
        for r in rows
    ]


def _suppressed(
    conn: Any, rows: Sequence[Sequence[Any]], devices: dict[str, list[WindowDevice]]
) -> dict[str, list[SuppressedAlarm]]:
    """The Suppressed events naming these windows on their visible devices. The log has no
    index on the window id: the search is bounded by the windows' time span and devices."""
    if not rows:
        return {}
    visible = sorted({d.device_id for ds in devices.values() for d in ds})
    found = conn.execute(
        "SELECT e.body ->> 'window_id', e.alarm_id, e.device_id, e.condition, e.severity,"
        " e.occurred_at, a.state FROM alarm_events e LEFT JOIN alarms a USING (alarm_id)"
        " WHERE e.type = 'Suppressed' AND e.occurred_at >= %s AND e.occurred_at <= %s"
        " AND e.device_id = ANY(%s) AND e.body ->> 'window_id' = ANY(%s)"
        " ORDER BY e.occurred_at, e.alarm_id",
        (
            min(r[2] for r in rows),
            max(r[3] for r in rows),
            visible,
            list(devices),
        ),
    ).fetchall()
    out: dict[str, list[SuppressedAlarm]] = {}
    for window_id, *alarm in found:
        if any(d.device_id == alarm[1] for d in devices[window_id]):
            out.setdefault(window_id, []).append(SuppressedAlarm(*alarm))
    return out
