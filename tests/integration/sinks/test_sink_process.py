"""The sink process against real Kafka and PostgreSQL: crash safety and poison rows."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
from kafka import KafkaProducer

from schemas.events import encode_event
from schemas.settings import Endpoints
from tests.conftest import endpoints_env
from tests.integration.storage.builders import alarm_history, envelope_bytes, rid
from tests.support.processes import ServiceProcess, free_port


def _produce(bootstrap: str, topic: str, messages: list[tuple[str, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for key, value in messages:
        producer.send(topic, key=key.encode(), value=value)
    producer.flush()
    producer.close()


def _scalar(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _wait_until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _start_sink(
    service_process: Callable[..., Any], env: dict[str, str], **extra: str
) -> ServiceProcess:
    port = free_port()
    proc: ServiceProcess = service_process(
        ["streams.sinks"], {**env, **extra, "HW_SINK_HTTP_PORT": str(port)}, port
    )
    return proc


def _sink_env(endpoints: Endpoints, database_url: str, **extra: str) -> dict[str, str]:
    env = endpoints_env(endpoints)
    env["HW_DATABASE_URL"] = database_url
    env["HW_SINK_GROUP_ID"] = rid("sink-")
    env["HW_SINK_SESSION_TIMEOUT_MS"] = "6000"
    env.update(extra)
    return env


def test_a_sink_killed_between_db_commit_and_offset_commit_loses_and_duplicates_nothing(
    endpoints: Endpoints, database_url: str, service_process: Callable[..., Any]
) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    devices = [rid("d-") for _ in range(4)]
    readings = [
        (d, envelope_bytes(d, seq, start + timedelta(seconds=seq), concentration=float(seq)))
        for d in devices
        for seq in range(100)
    ]
    _produce(endpoints.kafka_bootstrap, endpoints.topics.readings, readings)
    history = alarm_history(
        device_id=devices[0], raised_at=start, ack_after=timedelta(minutes=2),
        close_after=timedelta(hours=1),
    )  # fmt: skip
    events = [(e.device_id, encode_event(e)) for e in history]
    _produce(endpoints.kafka_bootstrap, endpoints.topics.alarm_events, events)
    env = _sink_env(endpoints, database_url, HW_SINK_MAX_BATCH="50")

    crashing = _start_sink(service_process, env, HW_SINK_CRASH_AFTER_DB_COMMIT="1")
    _wait_until(lambda: crashing.proc is not None and crashing.proc.poll() is not None, "crash")
    stored_before_restart = _scalar(database_url, "SELECT count(*) FROM readings")
    stored_before_restart += _scalar(database_url, "SELECT count(*) FROM alarm_events")
    assert 0 < stored_before_restart < len(readings) + len(events)

    _start_sink(service_process, env).wait_ready(timeout=90)
    _wait_until(
        lambda: (
            _scalar(database_url, "SELECT count(*) FROM readings") == len(readings)
            and _scalar(database_url, "SELECT count(*) FROM alarm_events") == len(events)
        ),
        "every row stored",
    )
    # Redelivered rows were not counted twice anywhere, including the rollups.
    assert _scalar(database_url, "SELECT sum(n) FROM readings_1m") == len(readings)
    assert _scalar(database_url, "SELECT count(*) FROM alarms WHERE state = 'closed'") == 1
    assert _scalar(database_url, "SELECT count(*) FROM dead_letters") == 0


def test_a_malformed_reading_is_dead_lettered_while_its_batch_neighbours_are_stored(
    endpoints: Endpoints, database_url: str, service_process: Callable[..., Any]
) -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    device = rid("d-")
    good = [(device, envelope_bytes(device, s, start + timedelta(seconds=s))) for s in range(20)]
    # Valid JSON that the database refuses (a NUL byte in text), and JSON that is no reading.
    refused = envelope_bytes(device, 99, start).replace(b'"gas"', b'"g\\u0000as"')
    messages = [*good[:10], (device, b"{not json"), (device, refused), *good[10:]]
    _produce(endpoints.kafka_bootstrap, endpoints.topics.readings, messages)

    sink = _start_sink(service_process, _sink_env(endpoints, database_url)).wait_ready(timeout=90)
    _wait_until(
        lambda: _scalar(database_url, "SELECT count(*) FROM dead_letters") == 2, "dead letters"
    )
    _wait_until(
        lambda: _scalar(database_url, "SELECT count(*) FROM readings") == len(good), "neighbours"
    )
    reasons = _scalar(
        database_url, "SELECT count(DISTINCT reason) FROM dead_letters WHERE source = 'readings'"
    )
    assert reasons == 2
    metrics = httpx.get(f"http://127.0.0.1:{sink.port}/metrics", timeout=5).text
    assert 'hazardwatch_sink_dead_letters_total{table="readings"} 2.0' in metrics
    assert f'hazardwatch_sink_rows_written_total{{table="readings"}} {len(good)}.0' in metrics
    assert 'hazardwatch_storage_mode{mode="postgresql"} 1.0' in metrics or (
        'hazardwatch_storage_mode{mode="timescaledb"} 1.0' in metrics
    )
