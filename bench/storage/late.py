"""Late readings on the query data set: what it costs to bring them into the rollups.

The late batch is what a field gateway uploads after a day offline: its devices' readings of
one day, weeks old (older than every refresh window of 0003, in a compressed chunk when
TimescaleDB's compression ran), written through the sink's path (`copy_readings`, batches of
10,000). Plain mode upserts the rollups in the same INSERT. TimescaleDB mode has two ways:

- A, chosen (storage/migrations/0015): the refresh policies' windows start open; the three
  refresh jobs, run as the scheduler runs them (`CALL run_job`), rematerialise what the
  invalidation log names.
- B: the sink refreshes the range of a late batch itself (`refresh_continuous_aggregate` on
  each rollup, bucket-aligned), right after its commit.

Each way gets a batch of its own (other devices, another day), and each case checks that the
1d rollup then counts what `readings` holds for those devices. A's steady state (a run of the
three jobs with nothing late) is measured beside the same jobs with 0003's windows.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

from bench.harness import Row, median
from bench.storage.dataset import COUNTY, DAYS, START, Dataset
from storage.mode import Mode, mode
from storage.readings import ReadingRow, copy_readings, row_from_envelope

GATEWAY_DEVICES = 10
WIDTHS = {"readings_1m": timedelta(minutes=1), "readings_1h": timedelta(hours=1),
          "readings_1d": timedelta(days=1)}  # fmt: skip
OLD_WINDOWS = {"readings_1m": "2 hours", "readings_1h": "3 days", "readings_1d": "30 days"}


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _batch(data: Dataset, first_device: int, day: int) -> list[ReadingRow]:
    """One day of `GATEWAY_DEVICES` devices at the data set's rate, 1 s after its readings."""
    per_device = data.readings // data.devices
    step = DAYS * 86400 / per_device
    start = START + timedelta(days=day)
    rows = []
    for d in range(first_device, first_device + GATEWAY_DEVICES):
        for k in range(int(86400 / step)):
            ts = start + timedelta(seconds=k * step + 1)
            rows.append(row_from_envelope({
                "device_id": f"D{d}", "enterprise_id": f"E{d % 50}", "family": "gas",
                "division": f"{COUNTY}{d % 10:03d}001", "channel": "telemetry",
                "ts": ts, "seq": 10**9 + k, "received_at": ts,
                "payload": {"concentration": float(k % 97) * 0.5}}))  # fmt: skip
    return rows


def _insert(url: str, rows: Sequence[ReadingRow], active: Mode) -> float:
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        for i in range(0, len(rows), 10_000):
            with conn.transaction():
                copy_readings(conn, rows[i : i + 10_000], active)
    return time.perf_counter() - started


def _refresh_jobs(conn: psycopg.Connection) -> list[int]:
    rows = conn.execute(
        "SELECT job_id FROM timescaledb_information.jobs"
        " WHERE proc_name = 'policy_refresh_continuous_aggregate' ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def _run_jobs(url: str) -> float:
    """Way A: the three refresh jobs, one after another, as the scheduler starts them."""
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        for job in _refresh_jobs(conn):
            conn.execute("CALL run_job(%s)", (job,))
        return time.perf_counter() - started


def _refresh_range(url: str, rows: Sequence[ReadingRow]) -> float:
    """Way B: what a sink would call after committing a late batch."""
    lo, hi = min(r.ts for r in rows), max(r.ts for r in rows)
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        for view, width in WIDTHS.items():
            conn.execute(
                f"CALL refresh_continuous_aggregate('{view}',"
                " time_bucket(%s::interval, %s::timestamptz),"
                " time_bucket(%s::interval, %s::timestamptz) + %s::interval,"
                # one pass, as the policies of 0015 (TimescaleDB 2.28's batches drop a bucket)
                " options => '{\"buckets_per_batch\": 0}')",
                (width, lo, width, hi, width),
            )
        return time.perf_counter() - started


def _counted(url: str, rows: Sequence[ReadingRow]) -> str:
    """Whether the 1d rollup counts what `readings` holds for the batch's devices and day."""
    devices = sorted({r.device_id for r in rows})
    day = datetime.combine(rows[0].ts.date(), datetime.min.time(), rows[0].ts.tzinfo)
    args = (devices, day, day + timedelta(days=1))
    with psycopg.connect(url) as conn:
        raw = conn.execute(
            "SELECT count(*) FROM readings WHERE device_id = ANY(%s) AND ts >= %s AND ts < %s",
            args,
        ).fetchone()
        rolled = conn.execute(
            "SELECT sum(n) FROM readings_1d WHERE device_id = ANY(%s)"
            " AND bucket >= %s AND bucket < %s",
            args,
        ).fetchone()
    have, want = (rolled[0] if rolled else None), (raw[0] if raw else None)
    verdict = "counts" if have == want else "MISSES"
    return f"1d rollup {verdict} them ({have} of the {want} readings of those devices that day)"


def _compressed(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE is_compressed), count(*)"
            " FROM timescaledb_information.chunks WHERE hypertable_name = 'readings'"
        ).fetchone()
    return f"{row[0]} of {row[1]} chunks compressed" if row else ""


def _steady(url: str, windows: dict[str, str] | None, runs: int = 5) -> float:
    """Median run of the three jobs with nothing late; `windows` sets their start offsets
    for the measurement (0003's, say) and the jobs' configurations are put back after it."""
    with psycopg.connect(url, autocommit=True) as conn:
        # A refresh policy's `hypertable_name` is its continuous aggregate's view.
        jobs = conn.execute(
            "SELECT job_id, hypertable_name, config FROM timescaledb_information.jobs"
            " WHERE proc_name = 'policy_refresh_continuous_aggregate'"
        ).fetchall()
        assert {view for _, view, _ in jobs} == set(windows or OLD_WINDOWS), jobs
        for job, view, config in jobs:
            if windows:
                changed = {**config, "start_offset": windows[view]}
                conn.execute("SELECT alter_job(%s, config => %s)", (job, Jsonb(changed)))
        try:
            samples = [_run_jobs(url) for _ in range(runs)]
        finally:
            for job, _view, config in jobs:
                conn.execute("SELECT alter_job(%s, config => %s)", (job, Jsonb(config)))
    return median(samples)


def late_batches(data: Dataset) -> list[Row]:
    url = data.store.url
    active = mode(data.store)
    size = f"{data.readings:,} readings"
    first = _batch(data, 0, 10)
    took = _insert(url, first, active)
    n = f"{len(first):,} readings of {GATEWAY_DEVICES} devices"
    if active == "postgresql":
        note = f"{n}; {size}; rollups upserted; {_counted(url, first)}; {_load()}"
        return [Row("late gateway day: insert (postgresql)", "s", took, "s", note)]
    compressed = _compressed(url)
    rows = [Row("late gateway day: insert (timescaledb)", "s", took, "s",
                f"{n}; {size}; {compressed}; {_load()}")]  # fmt: skip
    took = _run_jobs(url)
    rows.append(Row("late gateway day: A, the 3 refresh jobs, open windows (timescaledb)", "s",
                    took, "s", f"{n}; {size}; {_counted(url, first)}; {_load()}"))  # fmt: skip
    second = _batch(data, GATEWAY_DEVICES, 20)
    _insert(url, second, active)
    took = _refresh_range(url, second)
    rows.append(Row("late gateway day: B, sink refreshes the batch's range (timescaledb)", "s",
                    took, "s", f"{n}; {size}; {_counted(url, second)}; {_load()}"))  # fmt: skip
    for label, windows in (("open windows (0015)", None), ("0003's windows", OLD_WINDOWS)):
        took = _steady(url, windows)
        rows.append(Row(f"3 refresh jobs, nothing late, {label} (timescaledb)", "p50", took,
                        "s", f"median of 5 runs; {size}; {_load()}"))  # fmt: skip
    rows.append(Row("full refresh of the 3 rollups: first run of 0015 at most (timescaledb)",
                    "s", data.rollups_s, "s", f"{size}; while the data set was built"))  # fmt: skip
    return rows
