"""The feed hub on the real event topic: a stalled subscriber is dropped and counted, and the
others still get every event."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from kafka import KafkaProducer
from prometheus_client import CollectorRegistry

from alerts.feed.hub import DROPPED, FeedEvent, Hub
from alerts.metrics import AlertsMetrics
from schemas.events import AlarmRaised, encode_event
from schemas.kafka_access import KafkaAccess
from schemas.settings import Endpoints
from tests.support.processes import free_port

QUEUE = 3


@pytest.fixture
def hub(endpoints: Endpoints) -> Iterator[tuple[Hub, CollectorRegistry]]:
    registry = CollectorRegistry()
    metrics = AlertsMetrics(registry)
    started = Hub(
        endpoints.kafka,
        endpoints.topics.alarm_events,
        QUEUE,
        on_drop=metrics.dropped_clients.inc,
    )
    started.start()
    assert started.wait_ready(60)  # joining takes long on a loaded machine
    yield started, registry
    started.stop()


def _publish(endpoints: Endpoints, count: int) -> set[str]:
    producer = KafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap, acks="all")
    ids = set()
    for _ in range(count):
        event = AlarmRaised(
            event_id=uuid4().hex,
            alarm_id=f"A{uuid4().hex[:8]}",
            seq=1,
            occurred_at=datetime.now(UTC),
            device_id=f"D{uuid4().hex[:8]}",
            enterprise_id=f"E{uuid4().hex[:8]}",
            division="330106001001",
            family="gas",  # type: ignore[arg-type]
            condition="level2",
            severity="red",  # type: ignore[arg-type]
        )
        producer.send(endpoints.topics.alarm_events, key=event.device_id.encode(),
                      value=encode_event(event))  # fmt: skip
        ids.add(event.event_id)
    producer.flush(timeout=10)
    producer.close(timeout=5)
    return ids


def test_a_stalled_subscriber_is_dropped_and_counted_while_a_reading_one_gets_everything(
    hub: tuple[Hub, CollectorRegistry], endpoints: Endpoints
) -> None:
    feed, registry = hub
    count = (QUEUE - 1) * 3

    async def scenario() -> tuple[set[str], list[object]]:
        stalled, reading = feed.subscribe(), feed.subscribe()
        got: set[str] = set()
        # Bursts smaller than a queue, each read before the next: the reading client keeps
        # up, the stalled one overflows.
        for _ in range(3):
            ids = await asyncio.to_thread(_publish, endpoints, QUEUE - 1)
            while not ids <= got:
                item = await asyncio.wait_for(reading.queue.get(), timeout=30)
                assert isinstance(item, FeedEvent), "the reading subscriber was dropped"
                got.add(item.event["event_id"])
        while not stalled.dropped:
            await asyncio.sleep(0.01)
        left = [stalled.queue.get_nowait() for _ in range(stalled.queue.qsize())]
        feed.unsubscribe(reading)
        return got, left

    got, left = asyncio.run(asyncio.wait_for(scenario(), timeout=60))
    assert len(got) == count
    # What the stalled client is told instead of a backlog: it resumes with Last-Event-ID.
    assert left == [DROPPED]
    assert registry.get_sample_value("hazardwatch_alerts_sse_dropped_clients_total") == 1


def test_an_event_the_worker_sends_again_reaches_no_subscriber_twice(
    hub: tuple[Hub, CollectorRegistry], endpoints: Endpoints
) -> None:
    feed, _registry = hub
    producer = KafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap, acks="all")
    event = AlarmRaised(
        event_id=uuid4().hex, alarm_id=f"A{uuid4().hex[:8]}", seq=1,
        occurred_at=datetime.now(UTC), device_id=f"D{uuid4().hex[:8]}",
        enterprise_id="E1", division="330106001001", family="gas",  # type: ignore[arg-type]
        condition="gas_level", severity="red",  # type: ignore[arg-type]
    )

    async def scenario() -> list[str]:
        sub = feed.subscribe()
        # A worker killed after sending but before saving sends the same event again.
        for _ in range(3):
            producer.send(endpoints.topics.alarm_events, key=event.device_id.encode(),
                          value=encode_event(event))  # fmt: skip
        producer.flush(timeout=10)
        marker = await asyncio.to_thread(_publish, endpoints, 1)
        seen: list[str] = []
        while not marker <= set(seen):
            item = await asyncio.wait_for(sub.queue.get(), timeout=30)
            assert isinstance(item, FeedEvent)
            seen.append(item.event["event_id"])
        return seen

    seen = asyncio.run(asyncio.wait_for(scenario(), timeout=60))
    producer.close(timeout=5)
    assert seen.count(event.event_id) == 1
    assert feed.repeats == 2


def test_a_hub_that_cannot_reach_kafka_keeps_trying_and_stops_when_told(
    caplog: pytest.LogCaptureFixture,
) -> None:
    nobody = f"127.0.0.1:{free_port()}"  # no broker listens there
    feed = Hub(KafkaAccess(bootstrap=nobody), "hw.alarm-events.v1", QUEUE, attempt_s=2.0)
    with caplog.at_level(logging.WARNING, logger="alerts.feed.hub"):
        feed.start()
        deadline = time.monotonic() + 30
        while "trying again" not in caplog.text:
            assert time.monotonic() < deadline, "the hub never said it would try again"
            time.sleep(0.2)
    assert not feed.ready and feed._thread.is_alive()  # waiting, not dead
    feed.stop()
    feed._thread.join(timeout=15)
    assert not feed._thread.is_alive()
