"""Idempotency keys of the event log in their own table; `alarm_events` a hypertable and the
reading aggregates real-time when TimescaleDB is active.

A hypertable can only enforce unique keys that contain its time column, yet `event_id` and
`(alarm_id, seq)` must be unique across all time. So the keys live in `alarm_event_keys`
(plain, small: three columns) and the log itself may be chunked by time.
"""

from __future__ import annotations

import psycopg

from storage.mode import detect


def apply(conn: psycopg.Connection) -> None:
    conn.execute(
        "CREATE TABLE alarm_event_keys ("
        " event_id text PRIMARY KEY, alarm_id text NOT NULL, seq integer NOT NULL)"
    )
    # seq 0: a CommandRejected about an unknown alarm, outside every alarm's history.
    conn.execute(
        "CREATE UNIQUE INDEX alarm_event_keys_alarm_seq ON alarm_event_keys (alarm_id, seq)"
        " WHERE seq > 0"
    )
    conn.execute("INSERT INTO alarm_event_keys SELECT event_id, alarm_id, seq FROM alarm_events")
    conn.execute("CREATE INDEX alarm_events_alarm ON alarm_events (alarm_id, seq)")
    if detect(conn) != "timescaledb":
        return
    conn.execute("ALTER TABLE alarm_events DROP CONSTRAINT alarm_events_pkey")
    conn.execute("ALTER TABLE alarm_events DROP CONSTRAINT alarm_events_event_id_key")
    conn.execute("DROP INDEX alarm_events_alarm_seq")
    # 90-day chunks: a county logs thousands of events a day, so a chunk stays small while
    # report queries (a week, a month) touch one or two chunks. No retention: never dropped.
    conn.execute(
        "SELECT create_hypertable('alarm_events', 'occurred_at',"
        " chunk_time_interval => interval '90 days', migrate_data => true)"
    )
    conn.execute("CREATE INDEX alarm_events_position ON alarm_events (position)")
    # Real-time aggregates (off by default since TimescaleDB 2.13): buckets not yet
    # materialised by the refresh policy are computed from raw rows, so a chart is never stale.
    for view in ("readings_1m", "readings_1h", "readings_1d"):
        conn.execute(f"ALTER MATERIALIZED VIEW {view} SET (timescaledb.materialized_only = false)")
