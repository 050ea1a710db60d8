"""The `dead_letters` table: what the sink could not store, and why."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class DeadLetter:
    source: str  # the table the row was meant for: readings | alarm_events
    topic: str
    partition: int | None
    offset: int | None
    reason: str
    detail: str
    raw: bytes


def record(conn: psycopg.Connection, letter: DeadLetter) -> None:
    conn.execute(
        'INSERT INTO dead_letters (source, topic, partition, "offset", reason, detail, raw)'
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (
            letter.source,
            letter.topic,
            letter.partition,
            letter.offset,
            letter.reason,
            letter.detail[:2000],
            letter.raw,
        ),
    )


def count(conn: psycopg.Connection, source: str | None = None) -> int:
    row = conn.execute(
        "SELECT count(*) FROM dead_letters WHERE %(s)s::text IS NULL OR source = %(s)s",
        {"s": source},
    ).fetchone()
    return int(row[0]) if row else 0
