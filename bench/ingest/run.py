"""`./run bench ingest`: simulated devices -> Mosquitto -> gateway(s) -> Kafka.

Each case publishes as fast as the publisher can for at most `PUBLISH_S` seconds, then waits for
every reading on `hw.readings.v1`. Throughput = readings / (last arrival - first publish).
Latency = consumer arrival - the device `ts` stamped just before publishing: an upper bound of
publish -> Kafka ack (it adds the consumer's fetch interval). Everything (publisher, broker,
gateways, Kafka, consumer) shares the same 2 cores, so the numbers are a floor.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import paho.mqtt.client as mqtt
from kafka import KafkaConsumer

from bench.harness import Row, percentile
from bench.ingest import setup
from ingest.simulator.fleet import Fleet
from ingest.simulator.publisher import Credentials, connect

PUBLISH_S = 10.0
DRAIN_S = 30.0
PUBLISHERS = 2
MAX_BACKLOG = 5_000  # readings published but not yet seen on Kafka


@dataclass(frozen=True)
class Case:
    gateways: int
    batch: int  # 1 = single messages; N = field-gateway batches of N readings
    devices: int

    @property
    def name(self) -> str:
        kind = "single messages" if self.batch == 1 else f"batches of {self.batch}"
        return f"{self.gateways} gateway{'s' if self.gateways > 1 else ''}, {kind}"


CASES = [Case(1, 1, 2000), Case(2, 1, 2000), Case(1, 100, 1000), Case(2, 100, 1000)]


class Arrivals:
    def __init__(self, bootstrap: str, topic: str) -> None:
        self.count = 0
        self.latencies: list[float] = []
        self.last = 0.0
        self._stop = threading.Event()
        self._consumer = KafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            group_id=None,
            consumer_timeout_ms=200,
            fetch_max_wait_ms=50,
        )
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for record in self._consumer:
                now = time.time()
                ts = json.loads(record.value)["ts"].replace("Z", "+00:00")
                self.latencies.append(now - datetime.fromisoformat(ts).timestamp())
                self.count += 1
                self.last = now
        self._consumer.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _publish(fleet: Fleet, env: Mapping[str, str], arrivals: Arrivals) -> tuple[int, float]:
    creds = Credentials(env["HW_MQTT_SERVICE_USER"], env["HW_MQTT_SERVICE_PASSWORD"])
    host, port = env["HW_MQTT_HOST"], int(env["HW_MQTT_PORT"])
    clients = [connect(host, port, creds) for _ in range(PUBLISHERS)]
    pending: list[mqtt.MQTTMessageInfo] = []
    readings, began, rounds = 0, time.time(), 0
    while time.time() - began < PUBLISH_S:
        rounds += 1
        for i, item in enumerate(fleet.due(float(rounds), int(time.time() * 1000))):
            pending.append(clients[i % PUBLISHERS].publish(item.topic, item.payload, 1))
            readings += item.readings
        # Closed loop: a bounded backlog, so latency measures the pipeline, not a queue the
        # publisher piled up faster than any gateway could drain.
        while readings - arrivals.count > MAX_BACKLOG and time.time() - began < PUBLISH_S:
            time.sleep(0.002)
    for info in pending:
        info.wait_for_publish(timeout=DRAIN_S)
    for client in clients:
        client.disconnect()
        client.loop_stop()
    return readings, began


def run_case(env: Mapping[str, str], case: Case) -> list[Row]:
    enterprise = f"B{uuid.uuid4().hex[:8]}"
    share = 0.0 if case.batch == 1 else 1.0
    fleet = Fleet.synthetic(enterprise, case.devices, 1.0, gateway_share=share)
    if case.batch > 1:
        # GW-1 .. GW-n, `batch` devices each: one batch of `batch` readings per gateway per round.
        for index, device in enumerate(fleet.devices):
            device.gateway = f"GW-{index // case.batch}"
    registry = setup.registry_of(fleet)
    with (
        setup.topics(env["HW_KAFKA_BOOTSTRAP"]) as names,
        setup.database(env, registry) as url,
    ):
        scoped = {**env, "HW_TOPIC_PREFIX": names.prefix, "HW_DATABASE_URL": url}
        with setup.gateways(scoped, case.gateways) as procs:
            arrivals = Arrivals(env["HW_KAFKA_BOOTSTRAP"], names.readings)
            cpu_before = setup.cpu_seconds([p.pid for p in procs])
            for device in fleet.devices:
                device.next_at = 0.0
            readings, began = _publish(fleet, env, arrivals)
            deadline = time.time() + DRAIN_S
            while arrivals.count < readings and time.time() < deadline:
                time.sleep(0.1)
            cpu = setup.cpu_seconds([p.pid for p in procs]) - cpu_before
            arrivals.close()
    elapsed = max(arrivals.last - began, 1e-9)
    note = f"{arrivals.count}/{readings} arrived"
    return [
        Row(case.name, "readings/s", arrivals.count / elapsed, "1/s", note),
        Row(case.name, "p50 publish->Kafka", percentile(arrivals.latencies, 50), "s"),
        Row(case.name, "p99 publish->Kafka", percentile(arrivals.latencies, 99), "s"),
        Row(case.name, "gateway CPU per 1000 readings", cpu / max(arrivals.count, 1) * 1000, "s"),
    ]


def run(env: Mapping[str, str]) -> list[Row]:
    rows: list[Row] = []
    for case in CASES:
        rows.extend(run_case(env, case))
    return rows
