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

Each way gets `runs` batches of its own (other devices, another day each), A's and B's taking
turns, and each case checks that the 1d rollup then counts what `readings` holds for those
devices; the rows give medians, every sample and where the time went (each rollup's refresh).
A's steady state (a run of the three jobs with nothing late) is measured beside the same jobs
with 0003's windows. HW_BENCH_STORAGE_LATE_RUNS sets `runs` (3; at most 4, the days run out).
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


def _run_jobs(url: str) -> tuple[float, list[float]]:
    """Way A: the three refresh jobs, one after another, as the scheduler starts them.
    Returns the total and each job's time (1m, 1h, 1d: the jobs are numbered in that order)."""
    with psycopg.connect(url, autocommit=True) as conn:
        each = []
        for job in _refresh_jobs(conn):
            started = time.perf_counter()
            conn.execute("CALL run_job(%s)", (job,))
            each.append(time.perf_counter() - started)
        return sum(each), each


def _refresh_range(url: str, rows: Sequence[ReadingRow]) -> tuple[float, list[float]]:
    """Way B: what a sink would call after committing a late batch (total, and per rollup)."""
    lo, hi = min(r.ts for r in rows), max(r.ts for r in rows)
    with psycopg.connect(url, autocommit=True) as conn:
        each = []
        for view, width in WIDTHS.items():
            started = time.perf_counter()
            conn.execute(
                f"CALL refresh_continuous_aggregate('{view}',"
                " time_bucket(%s::interval, %s::timestamptz),"
                " time_bucket(%s::interval, %s::timestamptz) + %s::interval,"
                # one pass, as the policies of 0015 (TimescaleDB 2.28's batches drop a bucket)
                " options => '{\"buckets_per_batch\": 0}')",
                (width, lo, width, hi, width),
            )
            each.append(time.perf_counter() - started)
        return sum(each), each


def _counted(url: str, rows: Sequence[ReadingRow]) -> tuple[int | None, int | None]:
    """What the 1d rollup counts, and what `readings` holds, for the batch's devices and day."""
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
    return (rolled[0] if rolled else None), (raw[0] if raw else None)


def _verdict(counts: Sequence[tuple[int | None, int | None]]) -> str:
    """Whether the 1d rollup counted every late batch's readings, run by run."""
    good = sum(1 for have, want in counts if have == want)
    have, want = counts[0]
    word = "counts" if good == len(counts) else "MISSES"
    return (f"1d rollup {word} them in {good} of {len(counts)} runs"
            f" (run 1: {have} of the {want} readings of those devices that day)")  # fmt: skip


def _samples(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values) + " s"


def _per_view(each: Sequence[Sequence[float]]) -> str:
    """Median time of each rollup's refresh over the runs: where the time goes."""
    return ", ".join(f"{view[9:]} {median([e[i] for e in each]):.2f} s"
                     for i, view in enumerate(WIDTHS))  # fmt: skip


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
            samples = [_run_jobs(url)[0] for _ in range(runs)]
        finally:
            for job, _view, config in jobs:
                conn.execute("SELECT alter_job(%s, config => %s)", (job, Jsonb(config)))
    return median(samples)


def late_batches(data: Dataset, runs: int = 3) -> list[Row]:
    """`runs` late gateway days for each way, A's and B's taking turns (the machine's load
    drifts), each a day and devices of its own; medians, every sample in the note."""
    if not 1 <= runs <= 4:
        raise ValueError(f"late runs: 1 to 4 (a day of its own each in 30 days), not {runs}")
    url = data.store.url
    active = mode(data.store)
    size = f"{data.readings:,} readings"
    # A's batches on days 4, 10, 16, ... of devices 0-9, 10-19, ...; B's on days 7, 13, 19, ...
    # of devices 100-109, ...: never a bucket or a device of another run.
    a_batches = [_batch(data, i * GATEWAY_DEVICES, 4 + 6 * i) for i in range(runs)]
    b_batches = [_batch(data, data.devices // 2 + i * GATEWAY_DEVICES, 7 + 6 * i)
                 for i in range(runs)]  # fmt: skip
    n = f"{len(a_batches[0]):,} readings of {GATEWAY_DEVICES} devices"
    if active == "postgresql":
        upserts = [_insert(url, batch, active) for batch in a_batches]
        counts = [_counted(url, batch) for batch in a_batches]
        note = (f"median of {runs} runs ({_samples(upserts)}); {n}; {size}; rollups upserted;"
                f" {_verdict(counts)}; {_load()}")  # fmt: skip
        return [Row("late gateway day: insert (postgresql)", "p50", median(upserts), "s", note)]
    compressed = _compressed(url)
    inserts: list[float] = []
    a_took: list[tuple[float, list[float]]] = []
    b_took: list[tuple[float, list[float]]] = []
    a_counts, b_counts = [], []
    for a_batch, b_batch in zip(a_batches, b_batches, strict=True):
        inserts.append(_insert(url, a_batch, active))
        a_took.append(_run_jobs(url))
        a_counts.append(_counted(url, a_batch))
        inserts.append(_insert(url, b_batch, active))
        b_took.append(_refresh_range(url, b_batch))
        b_counts.append(_counted(url, b_batch))
    rows = [Row("late gateway day: insert (timescaledb)", "p50", median(inserts), "s",
                f"median of {2 * runs} batches ({_samples(inserts)}); {n}; {size};"
                f" {compressed} before the first; {_load()}")]  # fmt: skip
    for case, took, counts in (
        ("A, the 3 refresh jobs, open windows", a_took, a_counts),
        ("B, sink refreshes the batch's range", b_took, b_counts),
    ):
        totals = [t for t, _ in took]
        rows.append(Row(f"late gateway day: {case} (timescaledb)", "p50", median(totals), "s",
                        f"median of {runs} runs ({_samples(totals)}; per rollup"
                        f" {_per_view([e for _, e in took])}); {n}; {size}; {_verdict(counts)};"
                        f" {_load()}"))  # fmt: skip
    for label, windows in (("open windows (0015)", None), ("0003's windows", OLD_WINDOWS)):
        steady = _steady(url, windows)
        rows.append(Row(f"3 refresh jobs, nothing late, {label} (timescaledb)", "p50", steady,
                        "s", f"median of 5 runs; {size}; {_load()}"))  # fmt: skip
    rows.append(Row("full refresh of the 3 rollups: first run of 0015 at most (timescaledb)",
                    "s", data.rollups_s, "s", f"{size}; while the data set was built"))  # fmt: skip
    return rows
