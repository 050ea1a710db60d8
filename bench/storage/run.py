"""`./run bench storage`: write throughput (COPY path, sink end to end), query latency and the
cost of late readings, in each mode.

Bounded for a shared 2-core machine. The query data set defaults to 2 M readings;
HW_BENCH_STORAGE_READINGS raises it (10 M takes a few minutes here). The stack's server runs
the mode it can: TimescaleDB mode when it has the extension, and then plain PostgreSQL runs
on a server of its own started for the run (bench/storage/servers.py); on a plain stack,
HW_TIMESCALE_DATABASE_URL names a TimescaleDB server. HW_BENCH_STORAGE_MODES picks modes.
Every row is labelled with the mode its database was found in, whatever was expected.
The results file is written by `./run bench` only: a trial run keeps the tracked
bench/results/storage.json as it is with HW_BENCH_TAG (bench/results/storage-TAG.json).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import timedelta

from bench.harness import Row, median, percentile
from bench.storage.compression import compression_ratio
from bench.storage.dataset import COUNTY, START, Dataset, fresh_database, generate
from bench.storage.late import late_batches
from bench.storage.servers import plain_server, runs_timescaledb
from bench.storage.sink import sink_throughput
from storage.datastore import Datastore
from storage.mode import Mode, mode
from storage.queries import AlarmFilter, alarm_history, bucketed_readings
from storage.readings import ReadingRow, copy_readings, row_from_envelope, stage
from storage.reports import report

_ORDER: tuple[Mode, ...] = ("postgresql", "timescaledb")


def run(env: Mapping[str, str]) -> list[Row]:
    stack_url = env["HW_DATABASE_URL"]
    # `./run bench` passes only the stack's endpoints and HW_BENCH_*: take it from the caller too.
    timescale = env.get("HW_TIMESCALE_DATABASE_URL") or os.environ.get("HW_TIMESCALE_DATABASE_URL")
    size = int(env.get("HW_BENCH_STORAGE_READINGS", "2000000"))
    only = env.get("HW_BENCH_STORAGE_MODES", ",".join(_ORDER)).split(",")
    rows: list[Row] = []
    stack_mode: Mode = "timescaledb" if runs_timescaledb(stack_url) else "postgresql"
    for expected in _ORDER:
        if expected not in only:
            continue
        with contextlib.ExitStack() as servers:
            if expected == stack_mode:
                url = stack_url
            elif expected == "postgresql":
                url = servers.enter_context(plain_server())
            elif timescale:
                url = timescale
            else:
                continue  # no TimescaleDB server to measure
            rows.extend(_cases(env, url, size, expected))
    return rows


def _cases(env: Mapping[str, str], url: str, size: int, expected: Mode) -> list[Row]:
    rows: list[Row] = []
    with fresh_database(url) as store:
        label = _checked(store, expected)
        rows.append(raw_copy_throughput(store, label, 200_000))
        rows.append(copy_throughput(store, label, 200_000))
    with fresh_database(url) as store:
        rows.append(sink_throughput(env, store, 100_000, _checked(store, expected)))
    with fresh_database(url) as store:
        label = _checked(store, expected)
        data, query_rows = query_latency(store, label, size)
        rows.extend(query_rows)
        if label == "timescaledb":
            rows.extend(compression_ratio(store))
        runs = int(env.get("HW_BENCH_STORAGE_LATE_RUNS", "3"))
        rows.extend(late_batches(data, runs))  # into compressed chunks where compression ran
    return rows


def _checked(store: Datastore, expected: Mode) -> Mode:
    """The mode the database is in, which labels the rows; a surprise is said out loud."""
    found = mode(store)
    if found != expected:
        print(f"bench storage: expected {expected} mode, the database is in {found} mode",
              file=sys.stderr)  # fmt: skip
    return found


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _rows(total: int) -> list[ReadingRow]:
    envelopes = [
        {"device_id": f"D{i % 500}", "enterprise_id": "E1", "family": "gas",
         "division": f"{COUNTY}001001", "channel": "telemetry",
         "ts": (START + timedelta(seconds=i)).isoformat(), "seq": i,
         "received_at": START.isoformat(), "payload": {"concentration": float(i % 90)}}
        for i in range(total)
    ]  # fmt: skip
    return [row_from_envelope(e) for e in envelopes]


def raw_copy_throughput(store: Datastore, label: str, total: int, batch: int = 10_000) -> Row:
    """COPY alone, the sink's binary COPY into its temporary staging table (no INSERT)."""
    rows = _rows(total)
    started = time.perf_counter()
    for i in range(0, total, batch):
        with store.transaction() as conn:
            stage(conn, rows[i : i + batch])
    rate = total / (time.perf_counter() - started)
    return Row(f"raw binary COPY to staging, batches of {batch} ({label})", "rows/s", rate,
               "rows/s", f"{total:,} rows; {_load()}")  # fmt: skip


def copy_throughput(store: Datastore, label: str, total: int, batch: int = 10_000) -> Row:
    """The sink's write path without Kafka: COPY to staging + idempotent INSERT (+ rollups)."""
    active = mode(store)
    rows = _rows(total)
    started = time.perf_counter()
    for i in range(0, total, batch):
        with store.transaction() as conn:
            copy_readings(conn, rows[i : i + batch], active)
    rate = total / (time.perf_counter() - started)
    rollups = "by continuous aggregates" if active == "timescaledb" else "upserted"
    case = f"COPY+INSERT, batches of {batch} ({label})"
    return Row(case, "rows/s", rate, "rows/s", f"{total:,} rows, rollups {rollups}; {_load()}")


def _latencies(fn: Callable[[], object], n: int) -> list[float]:
    fn()  # warm the cache: steady-state latency is what a dashboard sees
    out = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def query_latency(store: Datastore, label: str, size: int) -> tuple[Dataset, list[Row]]:
    started = time.perf_counter()
    data = generate(store, size)
    built = time.perf_counter() - started
    end = START + timedelta(days=30)
    cases: dict[str, Callable[[], object]] = {
        "30-day 1-hour trend, one device": lambda: bucketed_readings(store, "D7", START, end, "1h"),
        "monthly report, one county": lambda: report(store, COUNTY, START, end),
        "alarm history page (50), county scope": lambda: alarm_history(
            store, AlarmFilter(division_prefix=COUNTY, state="all"), limit=50
        ),
    }
    note = f"{data.readings:,} readings, {data.alarms:,} alarms, built in {built:.0f} s"
    rows = []
    for case, fn in cases.items():
        samples = _latencies(fn, 100)
        note = f"{note.split('; load')[0]}; {_load()}"
        rows.append(Row(f"{case} ({label})", "p50", median(samples), "s", note))
        rows.append(Row(f"{case} ({label})", "p99", percentile(samples, 99), "s", note))
    return data, rows
