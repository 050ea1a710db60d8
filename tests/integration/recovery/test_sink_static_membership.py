"""A sink killed with SIGKILL and started again takes its partitions back at once under its
static group membership (streams.sinks.membership), and stores every reading once.

The session is 60 s here: a dynamic member would get no partition before the dead one's
session expired, so the test's 30 s bound can only be met by the static rejoin. (With
HW_SINK_STATIC_MEMBERSHIP=false in the environment it fails: 50 of 100 stored.)"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from kafka import KafkaProducer

from schemas.settings import Endpoints
from tests.conftest import endpoints_env
from tests.integration.storage.builders import envelope_bytes, rid
from tests.support.processes import ServiceProcess, free_port

pytestmark = [pytest.mark.integration]

_SESSION_MS = 60_000
_BACK_WITHIN_S = 30.0  # well inside the session: only a static rejoin gets there


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _stored_within(url: str, wanted: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while (n := _count(url, "SELECT count(*) FROM readings")) < wanted:
        if time.monotonic() > deadline:
            return n
        time.sleep(0.2)
    return n


def test_a_killed_sink_restarted_under_its_static_id_resumes_before_its_session_expires(
    endpoints: Endpoints, database_url: str, service_process: Callable[..., Any]
) -> None:
    port = free_port()
    env = {
        **endpoints_env(endpoints),
        "HW_DATABASE_URL": database_url,
        "HW_SINK_GROUP_ID": rid("sink-"),
        "HW_SINK_HTTP_PORT": str(port),
        "HW_SINK_SESSION_TIMEOUT_MS": str(_SESSION_MS),
    }
    producer = KafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap, acks="all")
    device, start = rid("d-"), datetime(2026, 4, 1, tzinfo=UTC)

    def produce(seqs: range) -> None:
        for seq in seqs:
            value = envelope_bytes(device, seq, start + timedelta(seconds=seq))
            producer.send(endpoints.topics.readings, key=device.encode(), value=value)
        producer.flush()

    try:
        first: ServiceProcess = service_process(["streams.sinks"], env, port)
        first.wait_ready(timeout=90)
        produce(range(50))
        assert _stored_within(database_url, 50, 60.0) == 50, first.tail()
        first.kill()  # SIGKILL: no LeaveGroup, the member stays until its session expires

        produce(range(50, 100))
        second: ServiceProcess = service_process(["streams.sinks"], env, port)
        second.wait_ready(timeout=90)
        stored = _stored_within(database_url, 100, _BACK_WITHIN_S)
    finally:
        producer.close()
    assert stored == 100, f"the restarted sink stored {stored} of 100:\n{second.tail()}"
    # A batch redelivered after the kill was not counted twice, the rollup included.
    assert _count(database_url, "SELECT sum(n) FROM readings_1m") == 100
