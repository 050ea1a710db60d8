"""A message an agent cannot process is dead-lettered and counted; the stream goes on."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from kafka import KafkaConsumer

from schemas.events import AlarmRaised
from schemas.settings import Endpoints
from tests.integration.streams.fixtures import StartWorker, start_worker, wire  # noqa: F401
from tests.integration.streams.harness import Wire, rid

pytestmark = pytest.mark.integration


def test_a_bad_message_goes_to_the_rejected_topic_and_the_next_one_is_processed(
    start_worker: StartWorker,  # noqa: F811
    wire: Wire,  # noqa: F811
    endpoints: Endpoints,
) -> None:
    worker = start_worker()
    device, enterprise = rid("gd-"), rid("E")
    garbage = b'{"device_id": "' + device.encode() + b'", "not": "an envelope"}'
    wire.send_raw(device, garbage)
    wire.reading(device, enterprise, {"concentration": 40.0})
    wire.wait_for(lambda events: any(isinstance(e, AlarmRaised) for e in events))

    rejected = KafkaConsumer(
        endpoints.topics.rejected,
        bootstrap_servers=endpoints.kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
    )
    letters: list[dict[str, str]] = []
    deadline = time.monotonic() + 30
    while not letters and time.monotonic() < deadline:
        for records in rejected.poll(timeout_ms=500).values():
            letters.extend(json.loads(record.value) for record in records)
    rejected.close()
    assert len(letters) == 1
    letter = letters[0]
    assert (letter["source"], letter["reason"]) == ("streams", "stream_error")
    assert base64.b64decode(letter["raw_b64"]) == garbage
    metrics = httpx.get(f"http://127.0.0.1:{worker.port}/metrics").text
    assert 'hazardwatch_streams_dead_letters_total{agent="devices"} 1.0' in metrics
