"""The worker reports how far behind its inputs it is, per topic, and catches up to zero."""

from __future__ import annotations

import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from schemas.events import AlarmRaised
from schemas.settings import Endpoints
from tests.integration.streams.fixtures import StartWorker, start_worker, wire  # noqa: F401
from tests.integration.streams.harness import Wire, rid

pytestmark = pytest.mark.integration


def lag(port: int) -> dict[str, float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    return {
        sample.labels["topic"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "hazardwatch_streams_consumer_lag_messages"
        for sample in family.samples
    }


def test_consumer_lag_is_published_per_input_topic_and_drops_to_zero(
    start_worker: StartWorker,  # noqa: F811
    wire: Wire,  # noqa: F811
    endpoints: Endpoints,
) -> None:
    device, enterprise = rid("gd-"), rid("E")
    for _ in range(200):
        wire.reading(device, enterprise, {"concentration": 1.0})
    wire.reading(device, enterprise, {"concentration": 60.0})
    worker = start_worker()
    wire.wait_for(lambda events: any(isinstance(e, AlarmRaised) for e in events))

    deadline, seen = time.monotonic() + 30, {}
    while time.monotonic() < deadline:
        seen = lag(worker.port)
        if seen.get(endpoints.topics.readings) == 0:
            break
        time.sleep(1)
    assert seen.get(endpoints.topics.readings) == 0, seen
    assert not any(topic.endswith("-changelog") for topic in seen)
