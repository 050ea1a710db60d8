"""The review pages at the storage benchmark's scale: 100 M readings and 1 M alarms of one
county (bench/storage/dataset.py, built in a database of its own), read by a county
regulator's console session through a real alerts process.

Cases, each p50/p99 over sequential requests beside `/healthz` of the same process: the alarm
history (newest first; one enterprise's false alarms of a week; one device; the 20th page of
the county's history by keyset), its CSV for one enterprise's week, the monthly and weekly
report pages, and a device's trend page over 30 days (1-hour buckets) and over one hour (raw).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import psycopg

from alerts.accounts.accounts import new_account
from bench.console.support import log_in, process, timings
from bench.harness import Row, median, percentile
from bench.storage.dataset import COUNTY, fresh_database, generate
from deploy.stack.kafka import create_topics
from schemas.topics import TopicNames
from storage.accounts import AccountRepository
from storage.datastore import Datastore
from storage.migrations import migrate
from tests.support.processes import free_port

READINGS = int(os.environ.get("HW_BENCH_CONSOLE_READINGS", "100000000"))
ALARMS = int(os.environ.get("HW_BENCH_CONSOLE_HISTORY_ALARMS", "1000000"))
SAMPLES = int(os.environ.get("HW_BENCH_CONSOLE_PAGE_SAMPLES", "40"))
# A database built by an earlier run (kept, by name) instead of building one: 100 M rows take
# a quarter of an hour here. It is migrated to the current schema first.
KEPT = os.environ.get("HW_BENCH_CONSOLE_DATABASE", "")
PASSWORD = "bench review password"

# The projection as the sinks would have left it: when each alarm was acknowledged, resolved
# and closed, and its cause (the dataset writes these only as events).
_PROJECT_HANDLING = """
UPDATE alarms a SET acknowledged_at = h.ack, resolved_at = h.res, closed_at = h.closed,
       cause = h.cause, last_seq = h.last_seq
  FROM (SELECT alarm_id,
               max(occurred_at) FILTER (WHERE type = 'Acknowledged') AS ack,
               max(occurred_at) FILTER (WHERE type = 'Resolved') AS res,
               max(occurred_at) FILTER (WHERE type = 'Closed') AS closed,
               max(body->>'cause') FILTER (WHERE type = 'Resolved') AS cause,
               max(seq) AS last_seq
          FROM alarm_events GROUP BY alarm_id) h
 WHERE h.alarm_id = a.alarm_id
"""


def _cases() -> list[tuple[str, str, str]]:
    """(case, path, text every answer must contain)."""
    week = "since=2026-01-24&until=2026-01-30"
    return [
        ("/healthz (framework floor)", "/healthz", "ok"),
        ("history, county, newest first", "/console/history", "data-alarm-id"),
        ("history, one enterprise's false alarms of a week",
         f"/console/history?enterprise=E5&cause=false_alarm&{week}", "data-alarm-id"),
        ("history, one device", "/console/history?device=D17", "data-alarm-id"),
        ("history CSV, one enterprise's week", f"/console/history.csv?enterprise=E5&{week}",
         "alarm_id"),
        ("monthly report page", f"/console/reports/monthly?start=2026-01-01&division={COUNTY}",
         "<table"),
        ("weekly report page", f"/console/reports/weekly?start=2026-01-19&division={COUNTY}",
         "<table"),
        ("trend page, 30 days (1 h buckets)",
         "/console/devices/D7/trend?range=30d&until=2026-01-30", 'data-bucket="1h"'),
        ("trend page, 1 hour (raw)", "/console/devices/D7/trend?range=1h&until=2026-01-30",
         'data-bucket="raw"'),
    ]  # fmt: skip


def _deep_page(client: httpx.Client, depth: int) -> str:
    """The path of the `depth`-th page of the county's history, following the pages' links."""
    path = "/console/history"
    for _ in range(depth - 1):
        body = client.get(path).text
        marker = 'href="/console/history?'
        found = [part for part in body.split(marker)[1:] if "cursor=" in part.split('"', 1)[0]]
        if not found:
            raise RuntimeError("the history has no next page")
        path = "/console/history?" + found[-1].split('"', 1)[0].replace("&amp;", "&")
    return path


@contextlib.contextmanager
def _dataset(server_url: str) -> Iterator[tuple[Datastore, str]]:
    """The data set and how it came to be (built now, or kept from an earlier run)."""
    if KEPT:
        store = Datastore(server_url.rsplit("/", 1)[0] + f"/{KEPT}", max_size=2)
        try:
            migrate(store)
            with psycopg.connect(store.url) as conn:
                counted = conn.execute(
                    "SELECT (SELECT count(*) FROM alarms),"
                    " (SELECT reltuples::bigint FROM pg_class WHERE relname = 'readings')"
                ).fetchone()
            alarms, readings = counted if counted else (0, 0)
            yield store, f"~{readings:,} readings, {alarms:,} alarms (kept database {KEPT})"
        finally:
            store.close()
        return
    began = time.monotonic()
    with fresh_database(server_url) as store:
        data = generate(store, READINGS, alarms=ALARMS)
        with psycopg.connect(store.url, autocommit=True) as conn:
            conn.execute(_PROJECT_HANDLING)
            conn.execute("VACUUM ANALYZE alarms")
        yield store, (f"{data.readings:,} readings, {data.alarms:,} alarms, {data.devices}"
                      f" devices, built in {time.monotonic() - began:.0f} s")  # fmt: skip


def run(env: Mapping[str, str]) -> list[Row]:
    rows: list[Row] = []
    with _dataset(env["HW_DATABASE_URL"]) as (store, note):
        username = f"bench-county-{uuid.uuid4().hex[:6]}"  # a kept database keeps accounts
        AccountRepository(store).add(
            new_account(username, "regulator", COUNTY, (), "bench", PASSWORD)
        )
        topics = TopicNames(prefix=f"br{uuid.uuid4().hex[:6]}.")
        create_topics(env["HW_KAFKA_BOOTSTRAP"], topics)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        child = {**os.environ, **env, "HW_TOPIC_PREFIX": topics.prefix,
                 "HW_DATABASE_URL": store.url, "HW_API_URL": url,
                 "HW_API_TOKEN_SECRET": uuid.uuid4().hex, "PYTHONUNBUFFERED": "1"}  # fmt: skip
        logs = Path(env.get("HW_STACK_DIR", ".stack")) / "logs"
        with process(["alerts"], child, port, logs / "bench-console-review.log"), httpx.Client(
            base_url=url, timeout=900
        ) as client:
            log_in(client, username, PASSWORD)
            cases = _cases()
            cases.insert(4, ("history, 20th page (keyset)", _deep_page(client, 20),
                             "data-alarm-id"))  # fmt: skip
            for case, path, needle in cases:
                # The first view computes what later views find cached (the report's figures)
                # and reads the pages the database has not cached yet: it is its own figure.
                first = timings(client, path, 1, needle)[0]
                values = timings(client, path, SAMPLES, needle)
                load = os.getloadavg()[0]
                rows.append(Row(case, "first view", first, "s", f"{note}; load {load:.1f}"))
                rows.append(Row(case, "p50", median(values), "s", f"{SAMPLES} later views"))
                rows.append(Row(case, "p99", percentile(values, 99), "s",
                                f"{SAMPLES} later views; load {load:.1f}"))  # fmt: skip
    return rows
