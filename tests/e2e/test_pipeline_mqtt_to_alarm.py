"""The whole detection path on the real stack: a detector publishes over MQTT with its
enterprise's credentials, the ingest gateway forwards, the stream worker (registry from the
database) raises the alarm on hw.alarm-events.v1."""

from __future__ import annotations

import json
import time

import pytest

from schemas.events import AlarmRaised
from tests.conftest import endpoints_env
from tests.integration.ingest.conftest import Gateways, Site
from tests.integration.streams.harness import Wire
from tests.support.processes import free_port

pytestmark = pytest.mark.shared_broker


def test_a_leak_published_over_mqtt_rises_through_both_levels_as_one_alarm(
    site: Site, gateways: Gateways, endpoints, database_url, service_process
) -> None:
    gateways.start()
    port = free_port()
    worker_env = {
        **endpoints_env(endpoints),
        "HW_DATABASE_URL": database_url,
        "HW_STREAMS_REGISTRY": "database",
        "HW_STREAMS_APP_ID": f"e2e-{port}",
        "HW_STREAMS_HTTP_PORT": str(port),
    }
    service_process(["streams", "worker"], worker_env, port).wait_ready(timeout=90)
    wire = Wire(endpoints)
    client = site.client(endpoints)
    gas = next(d for d, f in site.devices.items() if f == "gas")
    seq = 0

    def publish(concentration: float) -> None:
        nonlocal seq
        seq += 1
        body = {
            "ts": int(time.time() * 1000),
            "seq": seq,
            "concentration": concentration,
            "unit": "%LEL",
        }
        client.publish(
            f"hw/v1/{site.enterprise_id}/{gas}/telemetry", json.dumps(body), qos=1
        ).wait_for_publish(10)

    def seen(kind: str) -> bool:
        return any(e.type == kind and e.device_id == gas for e in wire.poll())

    try:
        for value in (3.0, 30.0):  # below level 1, then level 1 (raised at once)
            publish(value)
        wire.wait_for(lambda _e: seen("AlarmRaised"))
        deadline = time.monotonic() + 60  # level 2 must hold raise_after_s (5 s) to count
        while not seen("SeverityChanged") and time.monotonic() < deadline:
            publish(62.0)
            time.sleep(0.5)
        events = [e for e in wire.settle() if e.device_id == gas]
    finally:
        client.loop_stop()
        wire.close()
    kinds = [(e.type, e.severity.value if e.severity else None) for e in events]
    assert kinds == [("AlarmRaised", "orange"), ("SeverityChanged", "red")]
    assert len({e.alarm_id for e in events}) == 1
    raised = events[0]
    assert isinstance(raised, AlarmRaised)
    assert raised.source_received_at is not None  # detected from the gateway's envelope
