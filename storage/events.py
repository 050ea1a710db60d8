"""Appending alarm events to the `alarm_events` log.

The log is append-only and idempotent: `event_id` and `(alarm_id, seq)` are unique, so a
redelivered event inserts nothing and `append` says so; callers fold only what was new.
Offline episodes (for uptime) are derived here from the presence events (`DeviceWentOffline`,
`DeviceCameOnline`, keyed by their episode id), in the same transaction, and so is the count of
changes per report day that tells a cached report it is stale (storage/report_cache.py).
"""

from __future__ import annotations

import psycopg

from schemas.events import AlarmEvent, DeviceCameOnline, DeviceWentOffline

OFFLINE = "offline"

_CLAIM = (
    "INSERT INTO alarm_event_keys (event_id, alarm_id, seq) VALUES (%s, %s, %s)"
    " ON CONFLICT DO NOTHING RETURNING event_id"
)
_INSERT = (
    "INSERT INTO alarm_events (event_id, alarm_id, seq, type, occurred_at, device_id,"
    " enterprise_id, division, family, condition, severity, body)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def append(conn: psycopg.Connection, event: AlarmEvent) -> bool:
    """Insert one event; False when it was already stored (a redelivery).

    The key is claimed first (migration 0004): the log may be a hypertable that cannot
    enforce `event_id` or `(alarm_id, seq)` unique by itself.
    """
    claimed = conn.execute(_CLAIM, (event.event_id, event.alarm_id, event.seq)).fetchone()
    if claimed is None:
        return False
    conn.execute(
        _INSERT,
        (
            event.event_id,
            event.alarm_id,
            event.seq,
            event.type,
            event.occurred_at,
            event.device_id,
            event.enterprise_id,
            event.division,
            str(event.family),
            event.condition,
            None if event.severity is None else str(event.severity),
            event.model_dump_json(),
        ),
    )
    _track_offline(conn, event)
    _touch_report_day(conn, event)
    return True


# The day the event's alarm was raised: from the projection, else from the log (an alarm's
# AlarmRaised is its seq 1), else the event's own time (an AlarmRaised, or a presence event).
_TOUCH = (
    "INSERT INTO report_touches (day, division, touched)"
    " VALUES ((coalesce((SELECT raised_at FROM alarms WHERE alarm_id = %(a)s),"
    "  (SELECT occurred_at FROM alarm_events WHERE alarm_id = %(a)s AND seq = 1 LIMIT 1),"
    "  %(at)s) AT TIME ZONE 'UTC')::date, %(division)s, 1)"
    " ON CONFLICT (day, division) DO UPDATE SET touched = report_touches.touched + 1"
)


def _touch_report_day(conn: psycopg.Connection, event: AlarmEvent) -> None:
    """Count the change against the report day of its alarm (migration 0017), in the same
    transaction as the event: a cached report can never miss an event it did not see."""
    conn.execute(_TOUCH, {"a": event.alarm_id, "at": event.occurred_at,
                          "division": event.division})  # fmt: skip


def _track_offline(conn: psycopg.Connection, event: AlarmEvent) -> None:
    # Not the offline alarm: it may be closed, or inhibited by its site, while still offline.
    if isinstance(event, DeviceWentOffline):
        conn.execute(
            "INSERT INTO device_offline_intervals (alarm_id, device_id, started_at)"
            " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (event.alarm_id, event.device_id, event.occurred_at),
        )
    elif isinstance(event, DeviceCameOnline):
        conn.execute(
            "UPDATE device_offline_intervals SET ended_at = %s"
            " WHERE alarm_id = %s AND ended_at IS NULL",
            (event.occurred_at, event.alarm_id),
        )


def load_log(conn: psycopg.Connection, after: int = 0, limit: int = 10_000) -> list[bytes]:
    """Raw event bodies in log order after `position` (replays from the database)."""
    rows = conn.execute(
        "SELECT body::text FROM alarm_events WHERE position > %s ORDER BY position LIMIT %s",
        (after, limit),
    ).fetchall()
    return [r[0].encode() for r in rows]
