"""The last week of rejected messages (migration 0012): written by the rejections sink, read by
`GET /api/v1/rejections` a page at a time, newest first.

A page ends with a cursor (the last row's time and id), so the next page starts exactly after
it however many rows arrive meanwhile (keyset paging; no OFFSET that shifts under inserts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from storage.datastore import Datastore

KEEP = timedelta(days=7)
HEAD_BYTES = 512  # what is kept of a payload: enough to see what a device sent


@dataclass(frozen=True)
class RejectionRow:
    """One rejected message as the sink writes it."""

    kafka_topic: str
    kafka_partition: int
    kafka_offset: int
    received_at: datetime
    enterprise_id: str | None
    device_id: str | None
    reason: str
    detail: str
    mqtt_topic: str | None
    source: str
    payload: bytes  # the whole payload: only its head is stored

    def values(self) -> tuple[object, ...]:
        return (
            self.kafka_topic,
            self.kafka_partition,
            self.kafka_offset,
            self.received_at,
            self.enterprise_id,
            self.device_id,
            self.reason,
            self.detail,
            self.mqtt_topic,
            self.source,
            self.payload[:HEAD_BYTES],
            len(self.payload),
        )


@dataclass(frozen=True)
class Rejection:
    id: int
    received_at: datetime
    enterprise_id: str | None
    device_id: str | None
    reason: str
    detail: str
    mqtt_topic: str | None
    source: str
    payload_head: bytes
    payload_size: int


@dataclass(frozen=True)
class Cursor:
    received_at: datetime
    id: int


def write(conn: psycopg.Connection, rows: Sequence[RejectionRow]) -> int:
    """Insert what is not there yet (a redelivery inserts nothing); the rows written."""
    if not rows:
        return 0
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO rejections (kafka_topic, kafka_partition, kafka_offset, received_at,"
            " enterprise_id, device_id, reason, detail, mqtt_topic, source, payload_head,"
            " payload_size) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            [r.values() for r in rows],
        )
        return max(cur.rowcount, 0)


def expire(conn: psycopg.Connection, now: datetime) -> int:
    """Delete what is older than a week; the rows deleted."""
    return conn.execute("DELETE FROM rejections WHERE received_at < %s", (now - KEEP,)).rowcount


def page(
    store: Datastore,
    *,
    enterprise_id: str | None,
    admin: bool,
    since: datetime,
    reason: str | None = None,
    device_id: str | None = None,
    after: Cursor | None = None,
    limit: int = 100,
) -> list[Rejection]:
    """Newest first. An enterprise sees only its own rows; an admin every row, including
    those no enterprise could be told of (enterprise_id NULL), unless it names one."""
    where = ["received_at >= %(since)s"]
    params: dict[str, object] = {"since": since, "limit": limit}
    if enterprise_id is not None:
        where.append("enterprise_id = %(enterprise)s")
        params["enterprise"] = enterprise_id
    elif not admin:
        return []
    if reason is not None:
        where.append("reason = %(reason)s")
        params["reason"] = reason
    if device_id is not None:
        where.append("device_id = %(device)s")
        params["device"] = device_id
    if after is not None:
        where.append("(received_at, id) < (%(after_at)s, %(after_id)s)")
        params.update(after_at=after.received_at, after_id=after.id)
    sql = (
        "SELECT id, received_at, enterprise_id, device_id, reason, detail, mqtt_topic, source,"
        " payload_head, payload_size FROM rejections WHERE "
        + " AND ".join(where)
        + " ORDER BY received_at DESC, id DESC LIMIT %(limit)s"
    )
    with store.transaction() as conn:
        rows = conn.execute(sql, params).fetchall()
    return [Rejection(*r) for r in rows]
