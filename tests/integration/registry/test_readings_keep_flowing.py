"""The bug issue 19 began with: importing another enterprise's file cut off the first
enterprise's devices (`unknown_device` from then on). Through the real broker and gateway."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from schemas.settings import Endpoints
from tests.conftest import endpoints_env
from tests.integration.ingest.conftest import Gateways, TopicReader
from tests.integration.registry.conftest import RegistryCli, device, enterprise, rid
from tests.support.processes import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.shared_broker]


@pytest.fixture
def reader(endpoints: Endpoints) -> Iterator[TopicReader]:
    topics = endpoints.topics
    reading = TopicReader(endpoints.kafka_bootstrap, [topics.readings, topics.rejected])
    yield reading
    reading.close()


def _publish(endpoints: Endpoints, enterprise_id: str, device_id: str, seq: int) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid.uuid4().hex[:8]}")
    client.username_pw_set(enterprise_id, f"pw-{enterprise_id}")  # conftest.enterprise()
    client.connect(endpoints.mqtt_host, endpoints.mqtt_port)
    client.loop_start()
    body = {"ts": int(time.time() * 1000), "seq": seq, "concentration": 3.0, "unit": "%LEL"}
    info = client.publish(f"hw/v1/{enterprise_id}/{device_id}/telemetry", json.dumps(body), qos=1)
    info.wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def _topics_of(reader: TopicReader, devices: set[str]) -> dict[str, str]:
    """Where the next record of each of `devices` went. The gateway hears every test's MQTT
    traffic on the shared broker (and rejects it as unknown here): only ours counts."""
    found: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while set(found) != devices and time.monotonic() < deadline:
        for topic, key, _ in reader.quiet(0.5):
            if key.decode() in devices:
                found.setdefault(key.decode(), topic)
    return found


def test_importing_enterprise_b_keeps_enterprise_a_readings_flowing(
    registry_cli: RegistryCli,
    endpoints: Endpoints,
    database_url: str,
    service_process: Callable[..., ServiceProcess],
    reader: TopicReader,
) -> None:
    a, b = rid("EA"), rid("EB")
    a_device, b_device = device(rid("GD-"), a), device(rid("GD-"), b)
    registry_cli.run("import", str(registry_cli.write([enterprise(a)], [a_device])))
    env = {
        **endpoints_env(endpoints),
        "HW_DATABASE_URL": database_url,
        "HW_INGEST_SHARED_GROUP": rid("t"),
        "HW_INGEST_REGISTRY_REFRESH_S": "0.5",
    }
    Gateways(env, service_process).start()
    _publish(endpoints, a, a_device["id"], 1)
    assert _topics_of(reader, {a_device["id"]}) == {a_device["id"]: endpoints.topics.readings}

    registry_cli.run("import", str(registry_cli.write([enterprise(b)], [b_device])))
    time.sleep(1.5)  # three of the gateway's registry polls
    _publish(endpoints, a, a_device["id"], 2)
    _publish(endpoints, b, b_device["id"], 1)

    mine = {a_device["id"], b_device["id"]}
    assert _topics_of(reader, mine) == dict.fromkeys(mine, endpoints.topics.readings)
