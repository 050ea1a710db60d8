"""Readings and their 1m/1h/1d rollups, as hypertables + continuous aggregates when
TimescaleDB can be enabled, else as a range-partitioned table + rollup tables the sink upserts.
"""

from __future__ import annotations

import psycopg

from storage.mode import SIGNALS

RETENTION_DAYS = 400

COLUMNS = """
    device_id           text        NOT NULL,
    ts                  timestamptz NOT NULL,
    seq                 bigint      NOT NULL,
    received_at         timestamptz NOT NULL,
    family              text        NOT NULL,
    enterprise_id       text        NOT NULL,
    division            text        NOT NULL,
    channel             text        NOT NULL,
    concentration       double precision,
    residual_current_ma double precision,
    temperature_c       double precision,
    state               text,
    event               text,
    payload             jsonb       NOT NULL,
    UNIQUE (device_id, seq, ts)
"""

BUCKETS = {"readings_1m": "1 minute", "readings_1h": "1 hour", "readings_1d": "1 day"}


def apply(conn: psycopg.Connection) -> None:
    if _enable_timescaledb(conn):
        _timescale(conn)
    else:
        _plain(conn)


def _enable_timescaledb(conn: psycopg.Connection) -> bool:
    available = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).fetchone()
    if not available:
        return False
    try:
        # A savepoint: without the library preloaded, CREATE EXTENSION fails and we fall back.
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    except psycopg.Error:
        return False
    return True


def _aggregate_columns() -> str:
    parts = ["count(*) AS n"]
    for s in SIGNALS:
        parts += [
            f"min({s}) AS {s}_min",
            f"max({s}) AS {s}_max",
            f"sum({s}) AS {s}_sum",
            f"count({s}) AS {s}_count",
        ]
    return ",\n        ".join(parts)


def _timescale(conn: psycopg.Connection) -> None:
    conn.execute(f"CREATE TABLE readings ({COLUMNS})")
    # One-day chunks: a county sends a few million readings a day (~1 GB/day uncompressed),
    # so a day's chunk and its indexes stay well inside shared_buffers while the newest data is
    # hot, and the 7-day compression and 400-day retention act on whole days.
    conn.execute(
        "SELECT create_hypertable('readings', 'ts', chunk_time_interval => interval '1 day')"
    )
    conn.execute("CREATE INDEX readings_device_ts ON readings (device_id, ts DESC)")
    # seq ordered too: TimescaleDB wants every column of a unique key segmented or ordered
    # (0016 brings databases made before this line to the same settings).
    conn.execute(
        "ALTER TABLE readings SET (timescaledb.compress,"
        " timescaledb.compress_segmentby = 'device_id', timescaledb.compress_orderby = 'ts, seq')"
    )
    conn.execute("SELECT add_compression_policy('readings', interval '7 days')")
    conn.execute(f"SELECT add_retention_policy('readings', interval '{RETENTION_DAYS} days')")
    for name, width in BUCKETS.items():
        conn.execute(
            f"CREATE MATERIALIZED VIEW {name} WITH (timescaledb.continuous) AS"
            f" SELECT device_id, time_bucket(interval '{width}', ts) AS bucket,"
            f" {_aggregate_columns()} FROM readings GROUP BY device_id, bucket WITH NO DATA"
        )
    # Refresh each aggregate a little more often than its bucket; materialized_only = false
    # (the default in 2.x real-time aggregates) covers the not-yet-refreshed tail.
    conn.execute(
        "SELECT add_continuous_aggregate_policy('readings_1m', start_offset => interval '2 hours',"
        " end_offset => interval '1 minute', schedule_interval => interval '1 minute')"
    )
    conn.execute(
        "SELECT add_continuous_aggregate_policy('readings_1h', start_offset => interval '3 days',"
        " end_offset => interval '1 hour', schedule_interval => interval '30 minutes')"
    )
    conn.execute(
        "SELECT add_continuous_aggregate_policy('readings_1d', start_offset => interval '30 days',"
        " end_offset => interval '1 day', schedule_interval => interval '6 hours')"
    )


def _plain(conn: psycopg.Connection) -> None:
    # Monthly partitions are created on demand by the writer (storage.readings) before each
    # batch; BRIN on ts suits rows that arrive roughly in time order.
    conn.execute(f"CREATE TABLE readings ({COLUMNS}) PARTITION BY RANGE (ts)")
    conn.execute("CREATE INDEX readings_device_ts ON readings (device_id, ts DESC)")
    conn.execute("CREATE INDEX readings_ts_brin ON readings USING brin (ts)")
    columns = ["n bigint NOT NULL"]
    for s in SIGNALS:
        columns += [
            f"{s}_min double precision",
            f"{s}_max double precision",
            f"{s}_sum double precision",
            f"{s}_count bigint NOT NULL DEFAULT 0",
        ]
    body = ", ".join(columns)
    for name in BUCKETS:
        conn.execute(
            f"CREATE TABLE {name} (device_id text NOT NULL, bucket timestamptz NOT NULL,"
            f" {body}, PRIMARY KEY (device_id, bucket))"
        )
