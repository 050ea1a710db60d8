"""What a device's trend page needs beside its readings: the device as registered (checked
against the caller's scope in one primary-key lookup), its alarms in a time range, and its
online/offline history (the `device_offline_intervals` folded from its offline alarms).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.datastore import Datastore


@dataclass(frozen=True)
class DeviceInfo:
    device_id: str
    enterprise_id: str
    enterprise_name: str
    division: str
    family: str
    type: str
    substance: str | None
    location: str | None
    report_interval_s: float
    offline_after_s: float | None
    thresholds: dict[str, float]  # the registry's per-device overrides only
    online: bool
    status_since: datetime | None


@dataclass(frozen=True)
class AlarmMark:
    alarm_id: str
    condition: str
    severity: str
    state: str
    raised_at: datetime
    cleared_at: datetime | None  # the condition ended (ConditionCleared), not the handling
    closed_at: datetime | None


@dataclass(frozen=True)
class OfflineEpisode:
    alarm_id: str
    started_at: datetime
    ended_at: datetime | None  # None: still offline


def device_in_scope(
    store: Datastore,
    device_id: str,
    division_prefix: str = "",
    families: tuple[str, ...] = (),
    enterprise_id: str | None = None,
) -> DeviceInfo | None:
    """The registered device when the caller may see it, else None (the API's 404)."""
    if division_prefix and not division_prefix.isdigit():
        raise ValueError(f"a division prefix is digits only, got {division_prefix!r}")
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT d.id, d.enterprise_id, e.name, e.division, d.family, d.type, d.substance,"
            " d.location, d.report_interval_s, d.offline_after_s, d.thresholds,"
            " coalesce(s.online, true), s.since"
            " FROM devices d JOIN enterprises e ON e.id = d.enterprise_id"
            " LEFT JOIN device_status s ON s.device_id = d.id"
            " WHERE d.id = %(device)s AND e.division LIKE %(prefix)s"
            " AND (%(families)s::text[] IS NULL OR d.family = ANY(%(families)s))"
            " AND (%(enterprise)s::text IS NULL OR d.enterprise_id = %(enterprise)s)",
            {
                "device": device_id,
                "prefix": division_prefix + "%",
                "families": list(families) or None,
                "enterprise": enterprise_id,
            },
        ).fetchone()
    if row is None:
        return None
    values: list[Any] = list(row)
    values[2] = values[2] or values[1]
    values[3] = str(values[3])
    values[10] = dict(values[10] or {})
    return DeviceInfo(*values)


def device_alarms(
    store: Datastore, device_id: str, start: datetime, end: datetime, limit: int = 1000
) -> list[AlarmMark]:
    """The device's alarms that were open at some point of [start, end), oldest first."""
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT a.alarm_id, a.condition, a.severity, a.state, a.raised_at, c.at, a.closed_at"
            " FROM alarms a LEFT JOIN LATERAL (SELECT min(occurred_at) AS at FROM alarm_events"
            "   WHERE alarm_id = a.alarm_id AND seq > 0 AND type = 'ConditionCleared') c ON true"
            " WHERE a.device_id = %(device)s AND a.raised_at < %(end)s"
            " AND coalesce(a.closed_at, 'infinity') >= %(start)s"
            " ORDER BY a.raised_at DESC, a.alarm_id DESC LIMIT %(limit)s",
            {"device": device_id, "start": start, "end": end, "limit": limit},
        ).fetchall()
    return [AlarmMark(*row) for row in reversed(rows)]


def offline_episodes(
    store: Datastore, device_id: str, start: datetime, end: datetime
) -> list[OfflineEpisode]:
    """The device's offline episodes overlapping [start, end), oldest first."""
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT alarm_id, started_at, ended_at FROM device_offline_intervals"
            " WHERE device_id = %s AND started_at < %s AND coalesce(ended_at, 'infinity') > %s"
            " ORDER BY started_at",
            (device_id, end, start),
        ).fetchall()
    return [OfflineEpisode(*row) for row in rows]
