"""The console under load. `live` (below): 2,000 open alarms in the monitor's scope and 50
other live-feed clients connected; `review` (bench/console/review.py): the history, report and
trend pages at 100 M readings and 1 M alarms. HW_BENCH_CONSOLE_CASES=live,review (both by
default) chooses.

- first render of the board and of an alarm's page, p50/p99, beside `/healthz` of the same
  process (the bare framework's floor);
- alarm to row: from the AlarmRaised acked by Kafka to its row on a real page (Chromium),
  p50/p99 over 100 alarms, beside the same events reaching a plain SSE client of the API.

Everything runs on the stack's Kafka and PostgreSQL with a topic prefix and a database of its
own; the alerts and sinks processes are started here and stopped at the end.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from kafka import KafkaProducer

from alerts.accounts.accounts import new_account
from alerts.auth.tokens import Claims, issue
from bench.console.support import log_in, process, timings
from bench.harness import Row, median, percentile
from deploy.stack.kafka import create_topics
from schemas.events import AlarmRaised, encode_event
from schemas.families import Family, Severity
from schemas.topics import TopicNames
from storage.accounts import AccountRepository
from storage.datastore import Datastore
from storage.migrations import migrate
from tests.support.processes import free_port

TOWNSHIP = "330106001"
OPEN_ALARMS = int(os.environ.get("HW_BENCH_CONSOLE_ALARMS", "2000"))
CLIENTS = int(os.environ.get("HW_BENCH_CONSOLE_CLIENTS", "50"))
SAMPLES = int(os.environ.get("HW_BENCH_CONSOLE_SAMPLES", "100"))
PASSWORD = "bench console password"


def _event(alarm_id: str, device: str, severity: Severity) -> AlarmRaised:
    return AlarmRaised(
        event_id=f"raised|{alarm_id}", alarm_id=alarm_id, seq=1, occurred_at=datetime.now(UTC),
        device_id=device, enterprise_id="E-bench", division=TOWNSHIP + "001", family=Family.GAS,
        condition="gas_level", severity=severity, value=55.0, threshold=50.0,
    )


def _database(base_url: str) -> tuple[str, str]:
    name = f"hw_bench_console_{uuid.uuid4().hex[:6]}"
    admin = base_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base_url.rsplit("/", 1)[0] + f"/{name}", admin


def _feed_client(url: str, token: str, stop: threading.Event, seen: dict[str, float]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with contextlib.suppress(httpx.HTTPError), httpx.stream(
        "GET", f"{url}/api/v1/stream", headers=headers, timeout=None
    ) as response:
        for line in response.iter_lines():
            if stop.is_set():
                return
            if line.startswith("data:") and '"alarm_id"' in line:
                alarm_id = line.split('"alarm_id": "', 1)[1].split('"', 1)[0]
                seen.setdefault(alarm_id, time.monotonic())


def live(env: Mapping[str, str]) -> list[Row]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    topics = TopicNames(prefix=f"bc{uuid.uuid4().hex[:6]}.")
    create_topics(env["HW_KAFKA_BOOTSTRAP"], topics)
    database_url, _admin = _database(env["HW_DATABASE_URL"])
    store = Datastore(database_url, max_size=2)
    migrate(store)
    AccountRepository(store).add(new_account("bench", "monitor", TOWNSHIP, (), "bench", PASSWORD))
    secret = uuid.uuid4().hex
    api_port, sink_port = free_port(), free_port()
    url = f"http://127.0.0.1:{api_port}"
    child = {**os.environ, **env, "HW_TOPIC_PREFIX": topics.prefix, "HW_DATABASE_URL": database_url,
             "HW_API_URL": url, "HW_API_TOKEN_SECRET": secret, "HW_SINK_HTTP_PORT": str(sink_port),
             "HW_SINK_GROUP_ID": f"bench-{topics.prefix}", "PYTHONUNBUFFERED": "1"}
    logs = Path(env.get("HW_STACK_DIR", ".stack")) / "logs"
    producer = KafkaProducer(bootstrap_servers=env["HW_KAFKA_BOOTSTRAP"], acks="all", linger_ms=5)
    severities = (Severity.RED, Severity.ORANGE, Severity.YELLOW)
    for i in range(OPEN_ALARMS):
        event = _event(f"bench-open-{i}", f"GD-{i:05d}", severities[i % 3])
        producer.send(topics.alarm_events, key=event.device_id.encode(), value=encode_event(event))
    producer.flush()
    rows: list[Row] = []
    stop = threading.Event()
    with process(["streams.sinks"], child, sink_port, logs / "bench-console-sinks.log"), \
            process(["alerts"], child, api_port, logs / "bench-console-alerts.log"):
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with store.transaction() as conn:
                stored = conn.execute("SELECT count(*) FROM alarms").fetchone()
            if stored and stored[0] >= OPEN_ALARMS:
                break
            time.sleep(1)
        token = issue(secret, Claims(sub="bench-feed", role="monitor", scope=TOWNSHIP,
                                     exp=int(time.time()) + 3600))
        raw_seen: dict[str, float] = {}
        clients = [
            threading.Thread(
                target=_feed_client,
                args=(url, token, stop, raw_seen if i == 0 else {}),
                daemon=True,
            )
            for i in range(CLIENTS)
        ]
        for thread in clients:
            thread.start()
        time.sleep(3)
        with httpx.Client(base_url=url, timeout=30) as client:
            log_in(client, "bench", PASSWORD)
            floor = timings(client, "/healthz", 30)
            board = timings(client, "/console/board", 30)
            detail = timings(client, "/console/alarms/bench-open-0", 30)
        note = f"{OPEN_ALARMS} open alarms, {CLIENTS} feed clients"
        for case, values in (("/healthz (framework floor)", floor), ("board first render", board),
                             ("alarm page first render", detail)):
            rows.append(Row(case, "p50", median(values), "s", note))
            rows.append(Row(case, "p99", percentile(values, 99), "s", note))
        rows.append(Row("board / healthz", "p50 ratio", median(board) / median(floor), "x", note))

        page_delays: list[float] = []
        raw_delays: list[float] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(f"{url}/console/login")
            page.fill("#username", "bench")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("#board[data-live=connected]", timeout=60_000)
            for i in range(SAMPLES):
                event = _event(f"bench-live-{uuid.uuid4().hex[:8]}", f"GD-L{i:04d}", Severity.RED)
                producer.send(topics.alarm_events, key=event.device_id.encode(),
                              value=encode_event(event)).get(timeout=10)
                sent = time.monotonic()
                page.wait_for_selector(f"tr[data-alarm-id='{event.alarm_id}']", timeout=30_000)
                page_delays.append(time.monotonic() - sent)
                if event.alarm_id in raw_seen:
                    raw_delays.append(raw_seen[event.alarm_id] - sent)
            browser.close()
        stop.set()
        note = f"{SAMPLES} alarms, {OPEN_ALARMS} on the board, {CLIENTS} other feed clients"
        for case, values in (("alarm to row on the page", page_delays),
                             ("alarm to plain SSE client (API feed)", raw_delays)):
            rows.append(Row(case, "p50", median(values), "s", note))
            rows.append(Row(case, "p99", percentile(values, 99), "s", note))
    producer.close()
    store.close()
    load = os.getloadavg()[0]
    return [Row(r.case, r.metric, r.value, r.unit, f"{r.note}; load {load:.1f}") for r in rows]


def run(env: Mapping[str, str]) -> list[Row]:
    from bench.console import review

    chosen = env.get("HW_BENCH_CONSOLE_CASES", "live,review").split(",")
    unknown = set(chosen) - {"live", "review"}
    if unknown:
        raise ValueError(f"HW_BENCH_CONSOLE_CASES: unknown {', '.join(sorted(unknown))}")
    rows = live(env) if "live" in chosen else []
    return rows + (review.run(env) if "review" in chosen else [])
