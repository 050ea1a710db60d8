"""Rejections for integrators, end to end on the real stack: a device added through the API is
accepted by a running gateway at once, its bad payloads go through `hw.rejected.v1` and the
rejections sink into `GET /api/v1/rejections` of its own enterprise only; a bad topic's
rejection is the admins'. Paging, filters and the sink's idempotence on Kafka records."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import paho.mqtt.client as mqtt
import psycopg
import pytest
from fastapi.testclient import TestClient
from kafka import KafkaProducer
from paho.mqtt.enums import CallbackAPIVersion
from prometheus_client import CollectorRegistry

from alerts.services import Services
from deploy.stack import mosquitto
from schemas.families import Industry
from schemas.registry import EnterpriseRecord, Registry
from schemas.rejected import RejectedMessage, RejectReason
from schemas.settings import Endpoints
from storage.datastore import Datastore
from storage.registry import RegistryRepository
from streams.sinks.metrics import SinkMetrics
from streams.sinks.rejections import RejectionSink, consumer_for
from tests.conftest import endpoints_env
from tests.integration.alerts.conftest import TokenFactory
from tests.integration.ingest.conftest import Gateways, TopicReader
from tests.support.processes import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.shared_broker]


class RunningSink:
    def __init__(self, endpoints: Endpoints, database_url: str, group: str) -> None:
        self.store = Datastore(database_url, max_size=2)
        self.metrics = SinkMetrics(CollectorRegistry())
        self.sink = RejectionSink(
            consumer_for(endpoints.kafka, group, 100),
            self.store,
            self.metrics,
            topic=endpoints.topics.rejected,
            poll_timeout_ms=200,
        )
        self.thread: threading.Thread = self.sink.start()

    def stop(self) -> None:
        self.sink.stopping = True
        self.thread.join(timeout=10)
        self.store.close()


@pytest.fixture
def sink(endpoints: Endpoints, database_url: str) -> Iterator[Callable[[], RunningSink]]:
    started: list[RunningSink] = []

    def start() -> RunningSink:
        started.append(RunningSink(endpoints, database_url, f"g{uuid4().hex[:8]}"))
        return started[-1]

    yield start
    for running in started:
        running.stop()


def _enterprise(services: Services, mqtt_enterprise: Callable[..., tuple[str, str]]) -> str:
    enterprise_id, password = mqtt_enterprise(f"E{uuid4().hex[:8]}", None)
    record = EnterpriseRecord(
        id=enterprise_id, name=enterprise_id, division="330106001001", industry=Industry.CHEMICAL
    )
    RegistryRepository(services.store).import_registry(
        Registry(enterprises=(record,)),
        {enterprise_id: mosquitto.hash_password(password)},
        actor="test",
    )
    _PASSWORDS[enterprise_id] = password
    return enterprise_id


_PASSWORDS: dict[str, str] = {}


def _publish(endpoints: Endpoints, enterprise_id: str, messages: list[tuple[str, bytes]]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid4().hex[:8]}")
    client.username_pw_set(enterprise_id, _PASSWORDS[enterprise_id])
    client.connect(endpoints.mqtt_host, endpoints.mqtt_port)
    client.loop_start()
    try:
        for topic, payload in messages:
            client.publish(topic, payload, qos=1).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


def _poll(until: Callable[[], Any], seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := until()) and time.monotonic() < deadline:
        time.sleep(0.3)
    return found


def test_own_bad_payloads_reach_the_rejections_api_and_nobody_elses(
    client: TestClient,
    services: Services,
    token: TokenFactory,
    endpoints: Endpoints,
    database_url: str,
    service_process: Callable[..., ServiceProcess],
    mqtt_enterprise: Callable[..., tuple[str, str]],
    sink: Callable[[], RunningSink],
) -> None:
    a, b = _enterprise(services, mqtt_enterprise), _enterprise(services, mqtt_enterprise)
    env = {
        **endpoints_env(endpoints),
        "HW_DATABASE_URL": database_url,
        "HW_INGEST_SHARED_GROUP": f"t{uuid4().hex[:8]}",
        # A poll far beyond the test: only the NOTIFY (or the recheck) can make it known.
        "HW_INGEST_REGISTRY_REFRESH_S": "600",
        "HW_INGEST_SESSION_EXPIRY_S": "120",
    }
    Gateways(env, service_process).start()
    sink()
    reader = TopicReader(endpoints.kafka_bootstrap, [endpoints.topics.readings])
    own, other = (_bearer(token(role="enterprise", scope=e)) for e in (a, b))
    admin = _bearer(token(role="admin", scope="*"))
    device = f"GD-{uuid4().hex[:8]}"
    body = {"family": "gas", "type": "combustible", "substance": "CH4", "report_interval_s": 10}
    assert client.put(f"/api/v1/devices/{device}", json=body, headers=own).status_code == 201

    now = int(time.time() * 1000)
    good = {"ts": now, "seq": 1, "concentration": 3.0, "unit": "%LEL"}
    wrong_unit = {"ts": now, "seq": 2, "concentration": 3.0, "unit": "percent"}
    try:
        _publish(
            endpoints,
            a,
            [
                (f"hw/v1/{a}/{device}/telemetry", json.dumps(good).encode()),
                (f"hw/v1/{a}/{device}/telemetry", json.dumps(wrong_unit).encode()),
                (f"hw/v1/{a}/{device}/telemetry", b"\xff{not json"),
                (f"hw/v1/{a}/{device}", b"{}"),  # no channel: whose it is cannot be told
            ],
        )
        accepted = _poll(lambda: [r for r in reader.quiet(0.5) if r[1] == device.encode()])
    finally:
        reader.close()
    assert accepted and accepted[0][2]["seq"] == 1, "the device added by PUT was not accepted"

    def mine() -> list[dict[str, Any]]:
        page = client.get("/api/v1/rejections", headers=own)
        assert page.status_code == 200, page.text
        items: list[dict[str, Any]] = page.json()["items"]
        return items if len(items) >= 2 else []

    items = _poll(mine)
    assert sorted(i["reason"] for i in items) == ["bad_json", "schema"]
    schema = next(i for i in items if i["reason"] == "schema")
    assert schema["device_id"] == device and schema["enterprise_id"] == a
    assert schema["topic"] == f"hw/v1/{a}/{device}/telemetry"
    assert "unit" in schema["detail"]
    assert json.loads(schema["payload_text"]) == wrong_unit
    bad = next(i for i in items if i["reason"] == "bad_json")
    assert bad["payload_text"] is None and bad["payload_b64"] == "/3tub3QganNvbg=="

    only_schema = client.get("/api/v1/rejections?reason=schema", headers=own).json()["items"]
    assert [i["reason"] for i in only_schema] == ["schema"]
    assert client.get("/api/v1/rejections", headers=other).json()["items"] == []
    foreign = client.get(f"/api/v1/rejections?device={device}", headers=other).json()
    assert foreign["items"] == []
    assert client.get("/api/v1/rejections", headers=_bearer(token())).status_code == 403

    def admins() -> list[dict[str, Any]]:
        every = client.get("/api/v1/rejections", headers=admin).json()["items"]
        return [i for i in every if i["topic"] == f"hw/v1/{a}/{device}"]

    (unknown,) = _poll(admins)
    assert unknown["enterprise_id"] is None and unknown["reason"] == "schema"


def _bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def test_pages_are_keyset_bounded_to_a_week_and_redelivery_adds_nothing(
    client: TestClient,
    token: TokenFactory,
    endpoints: Endpoints,
    database_url: str,
    sink: Callable[[], RunningSink],
) -> None:
    enterprise = f"E{uuid4().hex[:8]}"
    now = datetime.now(UTC)
    producer = KafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap)
    ages = [timedelta(days=8), *(timedelta(minutes=m) for m in range(5))]
    for n, age in enumerate(ages):
        value = RejectedMessage(
            raw_b64=RejectedMessage.b64(("é" * 400 + str(n)).encode()),  # 801 bytes: cut
            mqtt_topic=f"hw/v1/{enterprise}/D{n}/telemetry",
            reason=RejectReason.RATE_LIMITED if n % 2 else RejectReason.SCHEMA,
            detail=f"number {n}",
            received_at=now - age,
            device_id=f"D{n}",
            enterprise_id=enterprise,
        )
        producer.send(endpoints.topics.rejected, value.encode(), key=f"D{n}".encode())
    producer.flush()
    producer.close()
    sink()
    own = _bearer(token(role="enterprise", scope=enterprise))

    def rows() -> int:
        with psycopg.connect(database_url) as conn:
            found = conn.execute("SELECT count(*) FROM rejections").fetchone()
        return int(found[0]) if found else 0

    assert _poll(lambda: rows() == 5), "the 8-day-old one is never stored, the rest are"
    pages: list[list[str]] = []
    cursor = None
    for _ in range(5):
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/api/v1/rejections?{query}", headers=own).json()
        pages.append([i["detail"] for i in page["items"]])
        cursor = page["next"]
        if cursor is None:
            break
    assert pages == [["number 1", "number 2"], ["number 3", "number 4"], ["number 5"]]
    first = client.get("/api/v1/rejections?limit=1", headers=own).json()["items"][0]
    assert first["payload_size"] == 801 and first["payload_truncated"]
    assert first["payload_text"] == "é" * 256  # 512 bytes kept, no half character

    since = (now - timedelta(minutes=1, seconds=30)).isoformat()
    recent = client.get("/api/v1/rejections", params={"since": since}, headers=own).json()
    assert [i["detail"] for i in recent["items"]] == ["number 1", "number 2"]
    limited = client.get("/api/v1/rejections?reason=rate_limited", headers=own).json()
    assert [i["detail"] for i in limited["items"]] == ["number 1", "number 3", "number 5"]
    assert client.get("/api/v1/rejections?cursor=x", headers=own).status_code == 422

    count = rows()
    again = sink()  # a second group reads the whole topic again: the same Kafka positions
    registry = again.metrics.registry
    read = _poll(lambda: registry.get_sample_value(
        "hazardwatch_sink_batch_rows_sum", {"table": "rejections"}) == len(ages))  # fmt: skip
    assert read, "the second sink never read the topic"
    written = registry.get_sample_value(
        "hazardwatch_sink_rows_written_total", {"table": "rejections"}
    )
    assert written == 0 and rows() == count
