"""A gateway process of its own per test: own topic prefix, database, shared-subscription group
and ports, so it never takes messages meant for another test or for `./run up`."""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from kafka import KafkaConsumer
from paho.mqtt.enums import CallbackAPIVersion

from schemas.families import Family, Industry
from schemas.registry import DeviceRecord, EnterpriseRecord, Registry
from schemas.settings import Endpoints
from storage.datastore import Datastore
from storage.registry import RegistryRepository
from tests.conftest import endpoints_env
from tests.support.processes import ServiceProcess, free_port


@dataclass
class Site:
    enterprise_id: str
    password: str
    devices: dict[str, str]  # device id -> family

    def client(self, endpoints: Endpoints) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            protocol=mqtt.MQTTv5,
            client_id=f"dev-{uuid.uuid4().hex[:8]}",
        )
        client.username_pw_set(self.enterprise_id, self.password)
        client.max_inflight_messages_set(1000)
        client.connect(endpoints.mqtt_host, endpoints.mqtt_port)
        client.loop_start()
        return client


@dataclass
class Gateways:
    """Starts `python -m ingest` processes that share this test's subscription group."""

    env: dict[str, str]
    service_process: Callable[..., ServiceProcess]

    def start(self, instance: int = 1) -> ServiceProcess:
        port = free_port()
        proc = self.service_process(
            ["ingest", "--instance", str(instance)],
            {**self.env, "HW_INGEST_HTTP_PORT": str(port)},
            port,
        )
        return proc.wait_ready()


@pytest.fixture
def site(database_url: str, mqtt_enterprise) -> Site:
    """An enterprise with one device per family (GW-1 speaks for the gas and shutoff ones)."""
    enterprise_id, password = mqtt_enterprise()
    suffix = uuid.uuid4().hex[:6]
    devices = {
        f"GD-{suffix}": "gas",
        f"SV-{suffix}": "shutoff",
        f"EL-{suffix}": "elevator",
        f"FE-{suffix}": "fire",
    }
    types = {"gas": "combustible", "shutoff": "valve", "elevator": "car", "fire": "electrical"}
    registry = Registry(
        enterprises=(
            EnterpriseRecord(
                id=enterprise_id,
                name="测试企业",
                division="330106001001",
                industry=Industry.CHEMICAL,
            ),
        ),
        devices=tuple(
            DeviceRecord(
                id=d,
                enterprise=enterprise_id,
                family=Family(f),
                type=types[f],
                gateway="GW-1" if f in ("gas", "shutoff") else None,
                report_interval_s=10,
            )
            for d, f in devices.items()
        ),
    )
    with Datastore(database_url) as store:
        RegistryRepository(store).replace_all(registry, {})
    return Site(enterprise_id, password, devices)


@pytest.fixture
def gateways(endpoints: Endpoints, database_url: str, service_process) -> Gateways:
    env = {
        **endpoints_env(endpoints),
        "HW_DATABASE_URL": database_url,
        "HW_INGEST_SHARED_GROUP": f"t{uuid.uuid4().hex[:8]}",
        "HW_INGEST_REGISTRY_REFRESH_S": "0.5",
        # Long enough for a restart within a test, short enough that the broker does not keep
        # queueing every later message for a test's group that is never used again.
        "HW_INGEST_SESSION_EXPIRY_S": "120",
    }
    return Gateways(env, service_process)


Record = tuple[str, bytes, dict[str, Any]]


class TopicReader:
    """Collects every record of some topics from the beginning, in a background thread."""

    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        self.records: queue.Queue[Record] = queue.Queue()
        self._stop = threading.Event()
        self._consumer = KafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
            consumer_timeout_ms=200,
        )
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for record in self._consumer:
                self.records.put((record.topic, record.key or b"", json.loads(record.value)))
        self._consumer.close()

    def take(self, count: int, timeout: float = 30.0) -> list[Record]:
        deadline = time.monotonic() + timeout
        out: list[Record] = []
        while len(out) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"only {len(out)} of {count} records arrived: {out[-3:]}")
            try:
                out.append(self.records.get(timeout=remaining))
            except queue.Empty:
                continue
        return out

    def quiet(self, seconds: float = 1.5) -> list[Record]:
        """Whatever else arrives within `seconds` (expected: nothing)."""
        extra: list[Record] = []
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                extra.append(self.records.get(timeout=remaining))
            except queue.Empty:
                break
        return extra

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture
def reader(endpoints: Endpoints) -> Iterator[TopicReader]:
    topics = endpoints.topics
    reading = TopicReader(endpoints.kafka_bootstrap, [topics.readings, topics.rejected])
    yield reading
    reading.close()
