"""The demo as a list of steps, each a function of the running stack that prints what it shows."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from deploy.stack.config import StackConfig


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[StackConfig], None]


def mqtt_round_trip(cfg: StackConfig) -> None:
    import queue

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    env = cfg.env()
    got: queue.Queue[bytes] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(env["HW_MQTT_SERVICE_USER"], env["HW_MQTT_SERVICE_PASSWORD"])
    client.on_message = lambda _c, _u, msg: got.put(bytes(msg.payload))
    client.connect("127.0.0.1", cfg.mqtt_port)
    client.loop_start()
    topic = f"hw/v1/demo/{uuid.uuid4().hex[:6]}/heartbeat"
    client.subscribe(topic, qos=1)
    time.sleep(0.2)
    began = time.monotonic()
    client.publish(topic, b'{"ts": 0, "seq": 1}', qos=1)
    payload = got.get(timeout=5)
    client.loop_stop()
    print(f"  MQTT  {topic}: {payload!r} in {1000 * (time.monotonic() - began):.1f} ms")


def kafka_round_trip(cfg: StackConfig) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=cfg.kafka_bootstrap, acks="all")
    began = time.monotonic()
    meta = producer.send("hw.demo.probe", key=b"demo", value=b"{}").get(timeout=30)
    producer.close()
    print(
        f"  Kafka acks=all on {meta.topic}[{meta.partition}]@{meta.offset} "
        f"in {1000 * (time.monotonic() - began):.1f} ms"
    )


def database(cfg: StackConfig) -> None:
    import psycopg

    from deploy.stack import postgres

    with psycopg.connect(cfg.database_url) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    print(f"  PostgreSQL {version[0] if version else '?'} mode {postgres.mode(cfg)}")


FOUNDATION: tuple[Step, ...] = (
    Step("MQTT broker", mqtt_round_trip),
    Step("Kafka", kafka_round_trip),
    Step("Database", database),
)
