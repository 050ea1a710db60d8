"""Contract tests: each service of the stack really does what hazardwatch relies on."""

from __future__ import annotations

import queue
import uuid

import paho.mqtt.client as mqtt
import psycopg
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from schemas.settings import Endpoints

pytestmark = pytest.mark.shared_broker


def _client(stack: Endpoints, user: str, password: str) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5
    )
    client.username_pw_set(user, password)
    client.connect(stack.mqtt_host, stack.mqtt_port)
    client.loop_start()
    return client


def _subscribe_all(stack: Endpoints, topic: str) -> tuple[mqtt.Client, queue.Queue[bytes]]:
    received: queue.Queue[bytes] = queue.Queue()
    subscribed = queue.Queue[int]()
    client = _client(stack, stack.mqtt_service_user, stack.mqtt_service_password.get_secret_value())
    client.on_message = lambda _c, _u, msg: received.put(bytes(msg.payload))
    client.on_subscribe = lambda _c, _u, mid, _rc, _p: subscribed.put(mid)
    client.subscribe(topic, qos=1)
    subscribed.get(timeout=5)
    return client, received


def _publish_acked(client: mqtt.Client, topic: str, payload: bytes) -> ReasonCode | None:
    """Publish QoS 1 and return the broker's PUBACK reason code (MQTT 5)."""
    acks: queue.Queue[ReasonCode] = queue.Queue()
    client.on_publish = lambda _c, _u, _mid, rc, _p: acks.put(rc)
    client.publish(topic, payload, qos=1, properties=Properties(PacketTypes.PUBLISH))  # type: ignore[no-untyped-call]
    return acks.get(timeout=5)


def test_an_enterprise_publishes_under_its_own_prefix_and_the_service_receives_it(
    stack: Endpoints, mqtt_enterprise
) -> None:
    enterprise, password = mqtt_enterprise()
    listener, received = _subscribe_all(stack, f"hw/v1/{enterprise}/#")
    publisher = _client(stack, enterprise, password)
    try:
        rc = _publish_acked(publisher, f"hw/v1/{enterprise}/GD-1/telemetry", b'{"seq": 1}')
        assert rc is not None and not rc.is_failure
        assert received.get(timeout=5) == b'{"seq": 1}'
    finally:
        publisher.loop_stop()
        listener.loop_stop()


def test_the_broker_refuses_a_publish_under_another_enterprises_prefix(
    stack: Endpoints, mqtt_enterprise
) -> None:
    intruder, password = mqtt_enterprise()
    victim, _ = mqtt_enterprise()
    listener, received = _subscribe_all(stack, f"hw/v1/{victim}/#")
    publisher = _client(stack, intruder, password)
    try:
        rc = _publish_acked(publisher, f"hw/v1/{victim}/GD-1/telemetry", b'{"seq": 1}')
        assert rc is not None and rc.is_failure  # 0x87 "Not authorized"
        # Own-prefix message afterwards proves the listener works and nothing came before it.
        _publish_acked(publisher, f"hw/v1/{intruder}/GD-1/telemetry", b"own")
        with pytest.raises(queue.Empty):
            received.get(timeout=1)
    finally:
        publisher.loop_stop()
        listener.loop_stop()


def test_a_wrong_password_is_refused(stack: Endpoints, mqtt_enterprise) -> None:
    enterprise, _ = mqtt_enterprise()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(enterprise, "not-the-password")
    codes: queue.Queue[ReasonCode] = queue.Queue()
    client.on_connect = lambda _c, _u, _f, rc, _p: codes.put(rc)
    client.connect(stack.mqtt_host, stack.mqtt_port)
    client.loop_start()
    try:
        assert codes.get(timeout=5).is_failure
    finally:
        client.loop_stop()


def test_kafka_acknowledges_with_acks_all_and_the_record_can_be_consumed(
    stack: Endpoints, topics
) -> None:
    producer = KafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    value = uuid.uuid4().bytes
    metadata = producer.send(topics.readings, key=b"GD-1", value=value).get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=stack.kafka_bootstrap, enable_auto_commit=False)
    partition = TopicPartition(topics.readings, metadata.partition)
    consumer.assign([partition])
    consumer.seek(partition, metadata.offset)
    records = consumer.poll(timeout_ms=10_000, max_records=1).get(partition, [])
    consumer.close()
    assert [(r.key, r.value) for r in records] == [(b"GD-1", value)]


def test_the_public_topics_have_twelve_partitions_and_their_retention(stack: Endpoints) -> None:
    from kafka import KafkaAdminClient
    from kafka.admin import ConfigResource, ConfigResourceType

    from schemas.topics import RETENTION_MS

    admin = KafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
    try:
        described = {t["name"]: t for t in admin.describe_topics(list(RETENTION_MS))}
        assert {name: len(t["partitions"]) for name, t in described.items()} == dict.fromkeys(
            RETENTION_MS, 12
        )
        configs = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in RETENTION_MS]
        )["topic"]
        retention = {name: int(c["retention.ms"]["value"]) for name, c in configs.items()}
        assert retention == RETENTION_MS
    finally:
        admin.close()


def test_postgresql_round_trip(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute("CREATE TABLE probe (id int PRIMARY KEY, note text)")
        conn.execute("INSERT INTO probe VALUES (1, '燃气')")
        assert conn.execute("SELECT note FROM probe WHERE id = 1").fetchone() == ("燃气",)
