"""Where a reading's CPU goes in the gateway, step by step, each measured alone in-process:

- `validate+encode`: `ingest.validation.accept` of a gas telemetry message (topic, registry,
  schema from the bytes, rate limit, the envelope's JSON);
- `kafka`: `KafkaSink.send` of that envelope to a real topic, through the producer's I/O
  thread and the batch's completion (process CPU over many records, all threads);
- `kafka (confluent-kafka, for comparison)`: the same records through librdkafka's Python client
  (acks=all, idempotent, a delivery callback per record, linger 10 ms): what a change of Kafka
  client would buy (pip-installed into the bench's interpreter when missing; not a dependency of
  the project, which keeps kafka-python);
- `mqtt`: the gateway's paho client (`ingest.mqtt_client.GatewayClient`) receiving QoS 1
  messages from a broker of its own (a private Mosquitto: the shared one's gateways would take
  them) with manual acknowledgement and the gateway's batched PUBACKs (the subscriber's CPU; the
  publisher is another process); `mqtt (paho as is)`: the same with paho's own `Client`, its
  baseline, alternated with it on the same broker (medians of `MQTT_REPEATS`).
The rest of a reading's cost in the gateway (bench/ingest's "forwarder CPU per 1000
readings" minus these) is the metrics, the ordered acks and the threads' hand-overs. All three
run on the shared machine: the load average is part of the figure.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing as mp
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from paho.mqtt.enums import CallbackAPIVersion

from deploy.stack import stack as launcher
from deploy.stack.config import REPO_ROOT, StackConfig
from ingest.kafka_sink import KafkaSink
from ingest.mqtt_client import GatewayClient
from ingest.puback import send_pubacks
from ingest.rate_limit import RateLimiter
from ingest.registry_view import DeviceInfo, RegistrySnapshot
from ingest.simulator.publisher import Credentials, connect
from ingest.validation import Accepted, Context, accept
from schemas.families import Family
from schemas.kafka_access import KafkaAccess

ENTERPRISE = "E-budget"
DEVICES = 2000


def _message(i: int) -> tuple[str, bytes]:
    topic = f"hw/v1/{ENTERPRISE}/GD-{i % DEVICES:05d}/telemetry"
    body = f'{{"ts":{int(time.time() * 1000)},"seq":{i},"concentration":12.5,"unit":"%LEL"}}'
    return topic, body.encode()


def validation_us(n: int = 20_000) -> float:
    registry = RegistrySnapshot(
        {f"GD-{i:05d}": DeviceInfo(ENTERPRISE, Family.GAS, "330106001001", None)
         for i in range(DEVICES)}
    )
    limiter = RateLimiter(1e9, 1e9, time.monotonic)
    messages = [_message(i) for i in range(n)]
    began = time.process_time()
    for topic, raw in messages:
        [outcome] = accept(topic, raw, Context(registry, limiter, datetime.now(UTC)))
        assert isinstance(outcome, Accepted)
    return (time.process_time() - began) / n * 1e6


def kafka_us(bootstrap: str, n: int = 20_000) -> float:
    topic = f"budget{uuid.uuid4().hex[:6]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, 12, 1)])
    done = threading.Event()
    confirmed = [0]

    def on_done(tokens: list[int]) -> None:
        confirmed[0] += len(tokens)
        if confirmed[0] >= n:
            done.set()

    sink: KafkaSink[int] = KafkaSink(
        KafkaAccess(bootstrap=bootstrap), "budget", on_done, lambda exc: None
    )
    try:
        value = b'{"device_id":"GD-00001","enterprise_id":"E","family":"gas"}' + b" " * 200
        keys = [f"GD-{i:05d}".encode() for i in range(DEVICES)]
        sink.producer.send(topic, key=b"warm", value=b"x").get(30)
        began = time.process_time()
        for i in range(n):
            sink.send(topic, keys[i % DEVICES], value, i)
        done.wait(60)
        return (time.process_time() - began) / n * 1e6
    finally:
        sink.close()
        admin.delete_topics([topic])
        admin.close()


def kafka_confluent_us(bootstrap: str, n: int = 20_000) -> float:
    producer_class = _confluent_producer()
    topic = f"budget{uuid.uuid4().hex[:6]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, 12, 1)])
    confirmed = [0]

    def on_delivery(err: object, _msg: object) -> None:
        if err is None:
            confirmed[0] += 1

    producer = producer_class({
        "bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
        "linger.ms": 10, "batch.size": 256 * 1024,
    })
    try:
        value = b'{"device_id":"GD-00001","enterprise_id":"E","family":"gas"}' + b" " * 200
        keys = [f"GD-{i:05d}".encode() for i in range(DEVICES)]
        producer.produce(topic, key=b"warm", value=b"x")
        producer.flush(30)
        began = time.process_time()
        for i in range(n):
            producer.produce(topic, key=keys[i % DEVICES], value=value, on_delivery=on_delivery)
            if i % 1000 == 0:
                producer.poll(0)
        producer.flush(60)
        used = time.process_time() - began
        assert confirmed[0] == n, f"{confirmed[0]} of {n} confirmed"
        return used / n * 1e6
    finally:
        admin.delete_topics([topic])
        admin.close()


def _confluent_producer() -> type:
    try:
        module = importlib.import_module("confluent_kafka")
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "confluent-kafka>=2,<3"],
                       check=True)
        module = importlib.import_module("confluent_kafka")
    return module.Producer  # type: ignore[no-any-return]


@contextlib.contextmanager
def _own_broker() -> Iterator[dict[str, str]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    cfg = StackConfig(root=REPO_ROOT / ".stack" / "bench-stacks" / uuid.uuid4().hex[:8],
                      mqtt_port=port)
    launcher.up(cfg, ["mosquitto"], echo=lambda _l: None)
    try:
        yield cfg.env()
    finally:
        launcher.down(cfg, ["mosquitto"], echo=lambda _l: None)
        shutil.rmtree(cfg.root, ignore_errors=True)


MQTT_REPEATS = 3


def mqtt_us(n: int = 20_000) -> dict[str, float]:
    runs: dict[str, list[float]] = {"mqtt": [], "mqtt (paho as is)": []}
    with _own_broker() as env:
        for _ in range(MQTT_REPEATS):
            runs["mqtt (paho as is)"].append(_mqtt_us(env, n, mqtt.Client))
            runs["mqtt"].append(_mqtt_us(env, n, GatewayClient))
    return {step: sorted(values)[len(values) // 2] for step, values in runs.items()}


def _mqtt_us(env: Mapping[str, str], n: int, kind: type[mqtt.Client]) -> float:
    host, port = env["HW_MQTT_HOST"], int(env["HW_MQTT_PORT"])
    user, password = env["HW_MQTT_SERVICE_USER"], env["HW_MQTT_SERVICE_PASSWORD"]
    prefix = f"hw/v1/{ENTERPRISE}"
    received = [0]
    acks: list[int] = []
    lock = threading.Lock()
    finished = threading.Event()
    subscribed = threading.Event()
    client = kind(
        CallbackAPIVersion.VERSION2, client_id=f"{prefix}-sub", protocol=mqtt.MQTTv5,
        manual_ack=True,
    )
    client.username_pw_set(user, password)
    client.max_inflight_messages_set(1000)

    def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with lock:
            acks.append(msg.mid)
            received[0] += 1
            if len(acks) >= 50 or received[0] >= n:  # as the acker: one write for many
                send_pubacks(client, acks[:])
                acks.clear()
        if received[0] >= n:
            finished.set()

    client.on_message = on_message
    client.on_subscribe = lambda *_a: subscribed.set()
    client.connect(host, port)
    client.subscribe(f"{prefix}/#", qos=1)
    client.loop_start()
    subscribed.wait(10)
    publisher = mp.get_context("fork").Process(
        target=_publish, args=(host, port, Credentials(user, password), prefix, n), daemon=True
    )
    began = time.process_time()
    publisher.start()
    finished.wait(120)
    used = time.process_time() - began
    publisher.join(timeout=10)
    client.disconnect()
    client.loop_stop()
    return used / max(received[0], 1) * 1e6


def _publish(host: str, port: int, creds: Credentials, prefix: str, n: int) -> None:
    client = connect(host, port, creds)
    infos = [client.publish(f"{prefix}/d{i % DEVICES}", b'{"seq":1}' * 10, 1) for i in range(n)]
    for info in infos:
        info.wait_for_publish(60)
    client.disconnect()
    client.loop_stop()


def measure(env: Mapping[str, str]) -> dict[str, float]:
    return {
        "validate+encode": validation_us(),
        "kafka": kafka_us(env["HW_KAFKA_BOOTSTRAP"]),
        "kafka (confluent-kafka, for comparison)": kafka_confluent_us(env["HW_KAFKA_BOOTSTRAP"]),
        **mqtt_us(),
    }
