"""What the live alarm board and an alarm's detail page show beside the alarm projection:
the device's registry facts (location, type, enterprise name) and the alarm's latest value.

One query for the whole board: the open alarms in scope joined with the registry, the latest
value taken from the alarm's own events through the (alarm_id, seq) index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.datastore import Datastore
from storage.queries import AlarmFilter, _alarm_where


@dataclass(frozen=True)
class BoardRow:
    alarm_id: str
    device_id: str
    enterprise_id: str
    enterprise_name: str | None
    division: str
    family: str
    device_type: str | None
    location: str | None
    condition: str
    severity: str
    state: str
    value: float | None
    raised_at: datetime
    last_seq: int
    view: dict[str, Any]


@dataclass(frozen=True)
class DeviceCard:
    device_id: str
    enterprise_id: str
    enterprise_name: str
    division: str
    family: str
    device_type: str
    location: str | None
    substance: str | None


_SELECT = """
SELECT a.alarm_id, a.device_id, a.enterprise_id, e.name, a.division, a.family, d.type,
       d.location, a.condition, a.severity, a.state,
       (SELECT (ev.body->>'value')::double precision FROM alarm_events ev
         WHERE ev.alarm_id = a.alarm_id AND ev.seq > 0
           AND ev.type IN ('AlarmRaised', 'SeverityChanged', 'ConditionCleared')
         ORDER BY ev.seq DESC LIMIT 1),
       a.raised_at, a.last_seq, a.view
FROM {alarms} a
LEFT JOIN devices d ON d.id = a.device_id
LEFT JOIN enterprises e ON e.id = a.enterprise_id
"""


def open_alarms(store: Datastore, flt: AlarmFilter, limit: int = 5000) -> list[BoardRow]:
    """Open (not closed), unsuppressed alarms in scope, most severe then oldest first."""
    where, params = _alarm_where(AlarmFilter(**{**flt.__dict__, "state": "open"}))
    scoped = f"(SELECT * FROM alarms WHERE {' AND '.join(where)} AND NOT suppressed)"
    params["limit"] = limit
    with store.transaction() as conn:
        rows = conn.execute(
            _SELECT.format(alarms=scoped)
            + " ORDER BY array_position(ARRAY['red','orange','yellow','blue'], a.severity),"
            " a.raised_at LIMIT %(limit)s",
            params,
        ).fetchall()
    return [BoardRow(*row) for row in rows]


def board_row(store: Datastore, alarm_id: str) -> BoardRow | None:
    """One alarm with its registry facts (the caller has checked the scope)."""
    with store.transaction() as conn:
        row = conn.execute(
            _SELECT.format(alarms="alarms") + " WHERE a.alarm_id = %s", (alarm_id,)
        ).fetchone()
    return None if row is None else BoardRow(*row)


def device_card(store: Datastore, device_id: str) -> DeviceCard | None:
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT d.id, d.enterprise_id, e.name, e.division, d.family, d.type, d.location,"
            " d.substance FROM devices d JOIN enterprises e ON e.id = d.enterprise_id"
            " WHERE d.id = %s",
            (device_id,),
        ).fetchone()
    return None if row is None else DeviceCard(*row)
