"""A synthetic county written straight into the database (no Kafka): readings over 30 days,
a registry, alarm events with their handling, offline episodes. SQL generate_series keeps it
fast and bounded; the rollups are built the way each mode builds them.
"""

from __future__ import annotations

import contextlib
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from storage.datastore import Datastore
from storage.migrations import migrate
from storage.mode import detect, stop_job_scheduler

START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 30
COUNTY = "330106"


@dataclass(frozen=True)
class Dataset:
    store: Datastore
    devices: int
    readings: int
    alarms: int
    rollups_s: float  # building the 1m/1h/1d rollups of every reading, from nothing


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[Datastore]:
    admin = server_url.rsplit("/", 1)[0] + "/postgres"
    name = f"hw_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    store = Datastore(server_url.rsplit("/", 1)[0] + f"/{name}", max_size=4)
    try:
        migrate(store)
        # Its jobs would compress chunks and refresh rollups in the middle of a measurement;
        # the cases that need them run them themselves.
        with psycopg.connect(store.url, autocommit=True) as conn:
            stop_job_scheduler(conn)
        yield store
    finally:
        store.close()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def generate(
    store: Datastore, readings: int, devices: int = 200, alarms: int = 5000, workers: int = 2
) -> Dataset:
    """`readings` spread evenly over `devices` and 30 days.

    Built for 100 M rows: the unique key is dropped while the rows are generated server-side
    (`workers` connections, each a slice of the devices) and built once at the end, which is a
    sort instead of a B-tree insert per row; 1h and 1d rollups are folded from the 1m rollup
    instead of scanning the readings three times.
    """
    per_device = readings // devices
    step_s = DAYS * 86400 / per_device
    with psycopg.connect(store.url, autocommit=True) as conn:
        _registry(conn, devices)
        active = detect(conn)
        if active == "postgresql":
            _partitions(conn)
        else:
            _chunks(conn)
        key = _drop_key(conn)
    slices = [range(w, devices, workers) for w in range(workers)]
    began = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda ds: _insert_readings(store.url, ds, per_device, step_s), slices))
    _progress(f"{per_device * devices:,} readings inserted", began)
    with psycopg.connect(store.url, autocommit=True) as conn:
        if key:
            started = time.perf_counter()
            conn.execute(f"ALTER TABLE readings ADD CONSTRAINT {key}")
            _progress("unique key built", started)
        started = time.perf_counter()
        _rollups(conn)
        rollups_s = time.perf_counter() - started
        _progress("rollups built", started)
        _alarms(conn, alarms, devices)
        conn.execute("ANALYZE")
    _progress("data set built", began)
    return Dataset(store, devices, per_device * devices, alarms, rollups_s)


def _progress(what: str, since: float) -> None:
    """A large data set takes a while: say how far it got (stderr, beside the table)."""
    print(f"bench storage: {what} in {time.perf_counter() - since:.0f} s", file=sys.stderr,
          flush=True)  # fmt: skip


def _drop_key(conn: psycopg.Connection) -> str | None:
    """Drop the unique key of `readings`; return its definition to add it back."""
    row = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = 'readings'::regclass AND contype = 'u'"
    ).fetchone()
    if row is None:
        return None
    conn.execute(f'ALTER TABLE readings DROP CONSTRAINT "{row[0]}"')
    return f'"{row[0]}" {row[1]}'


def _insert_readings(url: str, devices: range, per_device: int, step_s: float) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        # Bench data only: a crash just means building it again, so no waiting for the WAL.
        conn.execute("SET synchronous_commit = off")
        for d in devices:
            conn.execute(
                "INSERT INTO readings (device_id, ts, seq, received_at, family, enterprise_id,"
                " division, channel, concentration, payload)"
                " SELECT 'D' || %(d)s, t, s, t, 'gas', 'E' || mod(%(d)s, 50),"
                "  %(county)s || lpad(mod(%(d)s, 10)::text, 3, '0') || '001', 'telemetry',"
                "  mod(s, 97) * 0.5, '{}'::jsonb"
                " FROM generate_series(0, %(n)s - 1) s, LATERAL"
                " (SELECT %(start)s::timestamptz + make_interval(secs => s * %(step)s)) x(t)",
                {"d": d, "start": START, "step": step_s, "county": COUNTY, "n": per_device},
            )


def _registry(conn: psycopg.Connection, devices: int) -> None:
    conn.execute(
        "INSERT INTO enterprises (id, name, division, industry)"
        " SELECT 'E' || e, 'E' || e, %s || lpad(mod(e, 10)::text, 3, '0') || '001', 'chemical'"
        " FROM generate_series(0, 49) e",
        (COUNTY,),
    )
    conn.execute(
        "INSERT INTO devices (id, enterprise_id, family, type, report_interval_s)"
        " SELECT 'D' || d, 'E' || mod(d, 50), 'gas', 'combustible', 10"
        " FROM generate_series(0, %s - 1) d",
        (devices,),
    )


def _partitions(conn: psycopg.Connection) -> None:
    for month_start in (START, START + timedelta(days=31)):
        end = datetime(month_start.year, month_start.month % 12 + 1, 1, tzinfo=UTC)
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS readings_{month_start:%Y%m} PARTITION OF readings"
            f" FOR VALUES FROM ('{month_start.isoformat()}') TO ('{end.isoformat()}')"
        )


def _chunks(conn: psycopg.Connection) -> None:
    """TimescaleDB: nothing to prepare; chunks are made as rows arrive."""


def _rollups(conn: psycopg.Connection) -> None:
    if detect(conn) == "timescaledb":
        # One pass, as the policies of storage/migrations/0015 refresh: by default a manual
        # refresh runs in batches of 10 buckets, 4,320 transactions for 30 days of minutes.
        for view in ("readings_1m", "readings_1h", "readings_1d"):
            conn.execute(
                f"CALL refresh_continuous_aggregate('{view}', NULL, NULL,"
                " options => '{\"buckets_per_batch\": 0}')"
            )
        return
    conn.execute(
        "INSERT INTO readings_1m (device_id, bucket, n, concentration_min, concentration_max,"
        " concentration_sum, concentration_count)"
        " SELECT device_id, date_trunc('minute', ts, 'UTC'), count(*), min(concentration),"
        " max(concentration), sum(concentration), count(concentration)"
        " FROM readings GROUP BY 1, 2"
    )
    for table, source, unit in (("readings_1h", "readings_1m", "hour"),
                                ("readings_1d", "readings_1h", "day")):  # fmt: skip
        conn.execute(
            f"INSERT INTO {table} (device_id, bucket, n, concentration_min, concentration_max,"
            " concentration_sum, concentration_count)"
            f" SELECT device_id, date_trunc('{unit}', bucket, 'UTC'), sum(n),"
            " min(concentration_min), max(concentration_max), sum(concentration_sum),"
            f" sum(concentration_count) FROM {source} GROUP BY 1, 2"
        )


def _alarms(conn: psycopg.Connection, alarms: int, devices: int) -> None:
    """Each alarm: raised, acknowledged after a few minutes, closed after hours (most)."""
    conn.execute(
        "CREATE TEMP TABLE seed AS SELECT a, 'A' || a AS alarm_id,"
        " 'D' || mod(a, %(devices)s) AS dev,"
        " 'E' || mod(mod(a, %(devices)s), 50) AS ent,"
        " %(county)s || lpad(mod(mod(a, %(devices)s), 10)::text, 3, '0') || '001' AS div,"
        " (ARRAY['red','orange','yellow'])[1 + mod(a, 3)] AS sev,"
        " %(start)s::timestamptz + make_interval(secs => a * %(gap)s) AS at"
        " FROM generate_series(0, %(alarms)s - 1) a",
        {"devices": devices, "county": COUNTY, "alarms": alarms, "start": START,
         "gap": DAYS * 86400 / alarms},
    )  # fmt: skip
    steps = (
        ("AlarmRaised", 1, "0", "true"),
        ("Acknowledged", 2, "60 + mod(a, 600)", "mod(a, 7) <> 0"),
        ("Resolved", 3, "3600 + mod(a, 7200)", "mod(a, 3) <> 0"),
        ("Closed", 4, "3700 + mod(a, 7200)", "mod(a, 3) <> 0"),
    )
    for kind, seq, after_s, when in steps:
        conn.execute(
            "INSERT INTO alarm_events (event_id, alarm_id, seq, type, occurred_at, device_id,"
            " enterprise_id, division, family, condition, severity, body)"
            f" SELECT alarm_id || '-{seq}', alarm_id, {seq}, '{kind}',"
            f" at + make_interval(secs => {after_s}), dev, ent, div, 'gas', 'gas_level', sev,"
            " jsonb_build_object('cause', CASE WHEN mod(a, 5) = 0 THEN 'false_alarm'"
            f" ELSE 'real_leak' END) FROM seed WHERE {when}"
        )
    conn.execute("INSERT INTO alarm_event_keys SELECT event_id, alarm_id, seq FROM alarm_events")
    conn.execute(
        "INSERT INTO alarms (alarm_id, device_id, enterprise_id, division, family, condition,"
        " severity, state, cleared, supervised, suppressed, escalation_level, raised_at,"
        " last_seq, updated_at, view)"
        " SELECT alarm_id, dev, ent, div, 'gas', 'gas_level', sev,"
        " CASE WHEN mod(a, 3) <> 0 THEN 'closed' ELSE 'open' END, false, false, false, 'township',"
        " at, 1, at, '{}'::jsonb FROM seed"
    )
