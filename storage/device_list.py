"""The console's device list: registered devices in scope with status, last reading, an open
maintenance window and their open alarms, filtered and paged by device id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from storage.datastore import Datastore

DeviceState = Literal["online", "offline", "maintenance"]


@dataclass(frozen=True)
class DeviceRow:
    device_id: str
    enterprise_id: str
    enterprise_name: str
    division: str
    family: str
    device_type: str
    location: str | None
    online: bool
    in_maintenance: bool
    last_seen: datetime | None
    open_alarms: tuple[str, ...]

    @property
    def state(self) -> DeviceState:
        if self.in_maintenance:
            return "maintenance"
        return "online" if self.online else "offline"


@dataclass(frozen=True)
class DeviceFilter:
    division_prefix: str = ""
    families: tuple[str, ...] = ()
    enterprise_id: str | None = None
    state: DeviceState | None = None
    text: str = ""  # part of the id or the location


_SQL = """
SELECT d.id, d.enterprise_id, e.name, e.division, d.family, d.type, d.location,
       coalesce(s.online, true),
       EXISTS (SELECT 1 FROM maintenance_window_devices wd
               JOIN maintenance_windows w ON w.window_id = wd.window_id
               WHERE wd.device_id = d.id AND w.starts_at <= now() AND w.ends_at > now()),
       (SELECT max(r.ts) FROM readings r WHERE r.device_id = d.id),
       coalesce((SELECT array_agg(a.alarm_id ORDER BY a.raised_at) FROM alarms a
                 WHERE a.device_id = d.id AND a.state <> 'closed'), '{{}}')
FROM devices d
JOIN enterprises e ON e.id = d.enterprise_id
LEFT JOIN device_status s ON s.device_id = d.id
WHERE {where}
ORDER BY d.id
LIMIT %(limit)s
"""


def devices(
    store: Datastore, flt: DeviceFilter, after: str | None = None, limit: int = 200
) -> list[DeviceRow]:
    where, params = _where(flt)
    if after:
        where.append("d.id > %(after)s")
        params["after"] = after
    params["limit"] = limit
    with store.transaction() as conn:
        rows = conn.execute(_SQL.format(where=" AND ".join(where)), params).fetchall()
    found = [DeviceRow(*[*row[:10], tuple(row[10])]) for row in rows]
    if flt.state is not None:
        # The state mixes a projection and the windows: filtered here, on one page of rows.
        found = [r for r in found if r.state == flt.state]
    return found


def _where(flt: DeviceFilter) -> tuple[list[str], dict[str, Any]]:
    if flt.division_prefix and not flt.division_prefix.isdigit():
        raise ValueError(f"a division prefix is digits only, got {flt.division_prefix!r}")
    where = ["e.division LIKE %(prefix)s"]
    params: dict[str, Any] = {"prefix": flt.division_prefix + "%"}
    if flt.families:
        where.append("d.family = ANY(%(families)s)")
        params["families"] = list(flt.families)
    if flt.enterprise_id:
        where.append("d.enterprise_id = %(enterprise)s")
        params["enterprise"] = flt.enterprise_id
    if flt.text:
        where.append("(d.id ILIKE %(text)s OR d.location ILIKE %(text)s)")
        params["text"] = "%" + flt.text.replace("%", r"\%").replace("_", r"\_") + "%"
    return where, params


