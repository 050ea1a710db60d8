"""The notification tables of migration 0009: the outbox (sent keys), dead letters, reminders and
flapping windows. Plain SQL over a connection the caller holds inside one transaction, so what
a step decides (a reminder round and its messages, a summary and its window reset) commits
together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb


@dataclass(frozen=True)
class OutboxRow:
    key: str
    channel: str
    contact: str
    alarm_id: str
    event_id: str
    payload: dict[str, Any]
    attempts: int = 0


@dataclass(frozen=True)
class DeadLetterRow:
    id: int
    key: str
    channel: str
    contact: str
    alarm_id: str
    event_id: str
    payload: dict[str, Any]
    last_error: str
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class ReminderRow:
    alarm_id: str
    division: str
    family: str
    severity: str
    message: dict[str, Any]
    round: int


@dataclass(frozen=True)
class FlapRow:
    contact: str
    device_id: str
    channel: str
    held: int
    message: dict[str, Any]


_OUTBOX = "key, channel, contact, alarm_id, event_id, payload, attempts"
# `period` seconds from now, or never for a period of 0 (two parameters: the same period twice).
_AFTER = (
    "CASE WHEN %s::float8 > 0 THEN now() + make_interval(secs => %s::float8)"
    " ELSE 'infinity'::timestamptz END"
)


def known(conn: psycopg.Connection, key: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM notification_outbox WHERE key = %s", (key,)).fetchone()
        is not None
    )


def enqueue(conn: psycopg.Connection, row: OutboxRow, state: str = "pending") -> bool:
    """Insert unless the key is known; True when this call inserted it."""
    cursor = conn.execute(
        "INSERT INTO notification_outbox"
        " (key, channel, contact, alarm_id, event_id, payload, state)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (key) DO NOTHING",
        (row.key, row.channel, row.contact, row.alarm_id, row.event_id, Jsonb(row.payload), state),
    )
    return cursor.rowcount == 1


def claim_due(conn: psycopg.Connection, limit: int, lease_s: float) -> list[OutboxRow]:
    """Pending rows whose time came, leased for `lease_s` so that another process (or this one
    after a crash mid-send) takes them only once the lease ran out."""
    rows = conn.execute(
        "UPDATE notification_outbox SET next_attempt_at = now() + make_interval(secs => %s)"
        " WHERE key IN (SELECT key FROM notification_outbox"
        "  WHERE state = 'pending' AND next_attempt_at <= now()"
        "  ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED)"
        f" RETURNING {_OUTBOX}",
        (lease_s, limit),
    ).fetchall()
    return [OutboxRow(*row) for row in rows]


def mark_sent(conn: psycopg.Connection, key: str, attempts: int) -> None:
    conn.execute(
        "UPDATE notification_outbox SET state = 'sent', sent_at = now(), attempts = %s,"
        " last_error = NULL WHERE key = %s",
        (attempts, key),
    )


def reschedule(
    conn: psycopg.Connection, key: str, attempts: int, delay_s: float, error: str
) -> None:
    conn.execute(
        "UPDATE notification_outbox SET attempts = %s, last_error = %s,"
        " next_attempt_at = now() + make_interval(secs => %s) WHERE key = %s",
        (attempts, error[:2000], delay_s, key),
    )


def bury(conn: psycopg.Connection, row: OutboxRow, attempts: int, error: str) -> None:
    """The last attempt failed: the row is dead and a dead letter tells an admin why."""
    conn.execute(
        "UPDATE notification_outbox SET state = 'dead', attempts = %s, last_error = %s"
        " WHERE key = %s",
        (attempts, error[:2000], row.key),
    )
    conn.execute(
        "INSERT INTO notification_dead_letters"
        " (key, channel, contact, alarm_id, event_id, payload, last_error, attempts)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            row.key,
            row.channel,
            row.contact,
            row.alarm_id,
            row.event_id,
            Jsonb(row.payload),
            error[:2000],
            attempts,
        ),
    )


def dead_letters(
    conn: psycopg.Connection, limit: int = 100, offset: int = 0
) -> list[DeadLetterRow]:
    rows = conn.execute(
        "SELECT id, key, channel, contact, alarm_id, event_id, payload, last_error, attempts,"
        " created_at FROM notification_dead_letters ORDER BY id DESC LIMIT %s OFFSET %s",
        (limit, offset),
    ).fetchall()
    return [DeadLetterRow(*row) for row in rows]


def revive(conn: psycopg.Connection, letter_id: int) -> bool:
    """Put a dead letter's notification back in the outbox for a fresh round of attempts."""
    row = conn.execute(
        "DELETE FROM notification_dead_letters WHERE id = %s RETURNING key", (letter_id,)
    ).fetchone()
    if row is None:
        return False
    conn.execute(
        "UPDATE notification_outbox SET state = 'pending', attempts = 0, next_attempt_at = now()"
        " WHERE key = %s AND state = 'dead'",
        (row[0],),
    )
    return True


def start_reminders(
    conn: psycopg.Connection,
    alarm_id: str,
    division: str,
    family: str,
    severity: str,
    message: dict[str, Any],
    first_in_s: float,
) -> None:
    """Once per alarm: a redelivered AlarmRaised (even after the alarm was acknowledged) does
    not start them again. A severity without reminders (period 0) waits forever, until a
    SeverityChanged gives it one."""
    conn.execute(
        "INSERT INTO notification_reminders"
        " (alarm_id, division, family, severity, message, next_at)"
        f" VALUES (%s, %s, %s, %s, %s, {_AFTER})"
        " ON CONFLICT (alarm_id) DO NOTHING",
        (alarm_id, division, family, severity, Jsonb(message), first_in_s, first_in_s),
    )


def stop_reminders(conn: psycopg.Connection, alarm_id: str) -> None:
    conn.execute(
        "INSERT INTO notification_reminders"
        " (alarm_id, division, family, severity, message, next_at, stopped_at)"
        " VALUES (%s, '000000000000', '', '', '{}', now(), now())"
        " ON CONFLICT (alarm_id) DO UPDATE SET stopped_at = coalesce("
        "  notification_reminders.stopped_at, now())",
        (alarm_id,),
    )


def change_severity(
    conn: psycopg.Connection, alarm_id: str, severity: str, period_s: float
) -> None:
    """A new severity takes its own period from now, unless the next reminder is sooner."""
    conn.execute(
        "UPDATE notification_reminders SET severity = %s,"
        " message = jsonb_set(message, '{severity}', to_jsonb(%s::text)),"
        f" next_at = CASE WHEN %s > 0 THEN least(next_at, {_AFTER}) ELSE 'infinity' END"
        " WHERE alarm_id = %s AND stopped_at IS NULL",
        (severity, severity, period_s, period_s, period_s, alarm_id),
    )


def due_reminders(conn: psycopg.Connection, limit: int) -> list[ReminderRow]:
    """Locked until the caller's transaction ends: the round is sent and advanced together."""
    rows = conn.execute(
        "SELECT alarm_id, division, family, severity, message, round FROM notification_reminders"
        " WHERE stopped_at IS NULL AND next_at <= now()"
        " ORDER BY next_at LIMIT %s FOR UPDATE SKIP LOCKED",
        (limit,),
    ).fetchall()
    return [ReminderRow(*row) for row in rows]


def advance_reminders(conn: psycopg.Connection, alarm_id: str, period_s: float) -> None:
    """One round on. The next one keeps the cadence; after an outage longer than a period it
    comes a full period after this late one, never as a burst of catch-up rounds."""
    conn.execute(
        "UPDATE notification_reminders SET round = round + 1, next_at = CASE"
        " WHEN next_at + make_interval(secs => %(p)s) > now()"
        " THEN next_at + make_interval(secs => %(p)s)"
        " ELSE now() + make_interval(secs => %(p)s) END WHERE alarm_id = %(a)s",
        {"p": period_s, "a": alarm_id},
    )


def admit(
    conn: psycopg.Connection,
    contact: str,
    device_id: str,
    channel: str,
    window_s: float,
    limit: int,
    message: dict[str, Any],
) -> tuple[bool, FlapRow | None]:
    """May this contact get one more alarm message about this device in the current window?

    Returns (admitted, summary due): a window that ended with messages held yields its summary
    row (the caller sends it) before a new window starts with this message.
    """
    row = conn.execute(
        "SELECT window_start + make_interval(secs => %s) <= now(), sent, held, message"
        " FROM notification_flaps WHERE contact = %s AND device_id = %s FOR UPDATE",
        (window_s, contact, device_id),
    ).fetchone()
    summary = None
    if row is not None and row[0] and row[2] > 0:
        summary = FlapRow(contact, device_id, channel, int(row[2]), dict(row[3] or {}))
    if row is None or row[0]:
        conn.execute(
            "INSERT INTO notification_flaps (contact, device_id, channel, window_start, sent)"
            " VALUES (%s, %s, %s, now(), 1) ON CONFLICT (contact, device_id) DO UPDATE SET"
            " window_start = now(), sent = 1, held = 0, message = NULL, channel = %s",
            (contact, device_id, channel, channel),
        )
        return True, summary
    if row[1] < limit:
        conn.execute(
            "UPDATE notification_flaps SET sent = sent + 1 WHERE contact = %s AND device_id = %s",
            (contact, device_id),
        )
        return True, None
    conn.execute(
        "UPDATE notification_flaps SET held = held + 1, message = %s"
        " WHERE contact = %s AND device_id = %s",
        (Jsonb(message), contact, device_id),
    )
    return False, None


def ended_flaps(conn: psycopg.Connection, window_s: float, limit: int) -> list[FlapRow]:
    """Windows that ended with messages held; each is reset as it is returned, so its summary
    (enqueued by the caller in the same transaction) goes out once."""
    rows = conn.execute(
        "WITH ended AS (SELECT contact, device_id, channel, held, message"
        "  FROM notification_flaps WHERE held > 0"
        "  AND window_start + make_interval(secs => %s) <= now()"
        "  LIMIT %s FOR UPDATE SKIP LOCKED),"
        " reset AS (UPDATE notification_flaps f SET held = 0, message = NULL FROM ended e"
        "  WHERE f.contact = e.contact AND f.device_id = e.device_id)"
        " SELECT contact, device_id, channel, held, message FROM ended",
        (window_s, limit),
    ).fetchall()
    return [FlapRow(*row) for row in rows]


def prune(conn: psycopg.Connection, keep_days: float) -> int:
    """Forget what is older than `keep_days`: sent and held messages, stopped reminders, idle
    flapping windows. Dead letters and their rows stay until an admin retried them. The keys
    are what makes a redelivery harmless, so `keep_days` must exceed how far back events are
    ever redelivered (a consumer group resumes at its committed offset: minutes, not days)."""
    interval = {"d": keep_days}
    removed = conn.execute(
        "DELETE FROM notification_outbox WHERE state IN ('sent', 'held')"
        " AND created_at < now() - make_interval(secs => %(d)s * 86400)",
        interval,
    ).rowcount
    removed += conn.execute(
        "DELETE FROM notification_reminders WHERE stopped_at < now()"
        " - make_interval(secs => %(d)s * 86400)",
        interval,
    ).rowcount
    removed += conn.execute(
        "DELETE FROM notification_flaps WHERE held = 0 AND window_start < now()"
        " - make_interval(secs => %(d)s * 86400)",
        interval,
    ).rowcount
    return removed
