"""The gateway's paho client on the real broker (ingest/mqtt_client.py): every message whole, in
order, none left behind in its read buffer, plain and over TLS; messages with MQTT 5 properties
and at QoS 0 keep what paho's own path gives them."""

from __future__ import annotations

import threading
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from deploy.stack import certs
from deploy.stack.config import StackConfig
from ingest.mqtt_client import CHUNK, GatewayClient
from ingest.puback import send_pubacks
from ingest.tls import tls_context
from schemas.settings import Endpoints

# Its topics are under hw/v1/, where the shared broker's test gateways also listen.
pytestmark = pytest.mark.shared_broker

# Sizes around every boundary a buffered reader could get wrong: the remaining length's 1-, 2-
# and 3-byte forms, a packet larger than one chunk, and many small ones in between.
SIZES = [0, 1, 60, 127, 128, 500, 16_383, 16_384, 70_000, CHUNK + 1, 300_000]


def _payloads() -> list[bytes]:
    payloads = []
    for i in range(3_000):
        size = SIZES[i % len(SIZES)] if i % 7 == 0 else 40 + i % 90
        payloads.append(i.to_bytes(4, "big") + bytes([i % 251]) * size)
    return payloads


def _with_properties(i: int) -> Properties:
    properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    properties.ContentType = "application/json"
    properties.UserProperty = [("n", str(i))]
    return properties


def _receive_all(port: int, endpoints: Endpoints, tls: certs.Authority | None) -> None:
    topic = f"hw/v1/Ebuffer{uuid.uuid4().hex[:6]}/D1/telemetry"
    sent = _payloads()
    # Every 50th message carries properties (paho's own path); QoS 0 ones come after the
    # QoS 1 burst (the broker may drop QoS 0 while the subscriber's queue is full).
    at_most_once = [b"qos0-%d" % i for i in range(30)]
    props = {i: _with_properties(i) for i in range(0, len(sent), 50)}
    got: list[bytes] = []
    seen_props: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    got_qos0: list[bytes] = []
    topics: set[str] = set()
    all_in, qos0_in, subscribed = threading.Event(), threading.Event(), threading.Event()

    def on_message(client: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        index = int.from_bytes(msg.payload[:4], "big")
        topics.add(msg.topic)
        if msg.qos == 0:
            got_qos0.append(bytes(msg.payload))
            if len(got_qos0) == len(at_most_once):
                qos0_in.set()
            return
        properties = msg.properties
        if properties is not None and hasattr(properties, "ContentType"):
            seen_props[index] = (properties.ContentType, properties.UserProperty)  # type: ignore[attr-defined]
        got.append(bytes(msg.payload))
        send_pubacks(client, [msg.mid])
        if len(got) == len(sent):
            all_in.set()

    sub = GatewayClient(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, manual_ack=True,
                        client_id=f"buffered-{uuid.uuid4().hex[:6]}")
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5,
                      client_id=f"buffered-pub-{uuid.uuid4().hex[:6]}")
    for client in (sub, pub):
        client.username_pw_set(
            endpoints.mqtt_service_user, endpoints.mqtt_service_password.get_secret_value()
        )
        client.max_inflight_messages_set(1000)
        if tls is not None:
            client.tls_set_context(tls_context(str(tls.ca_cert)))
    sub.on_message = on_message
    sub.on_subscribe = lambda *_a: subscribed.set()
    sub.connect("127.0.0.1", port, keepalive=60)
    sub.subscribe(topic, qos=1)
    sub.loop_start()
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    try:
        assert subscribed.wait(10)
        infos = [
            pub.publish(topic, payload, qos=1, properties=props.get(i))
            for i, payload in enumerate(sent)
        ]
        for info in infos:
            info.wait_for_publish(30)
        # The keep-alive is 60 s: a packet stranded in the buffer would wait for it.
        assert all_in.wait(30), f"{len(got)} of {len(sent)} arrived"
        assert got == sent
        assert topics == {topic}
        assert seen_props == {i: ("application/json", [("n", str(i))]) for i in props}
        for payload in at_most_once:
            pub.publish(topic, payload, qos=0)
        assert qos0_in.wait(10), f"{len(got_qos0)} of {len(at_most_once)} QoS 0 arrived"
        assert got_qos0 == at_most_once
    finally:
        for client in (pub, sub):
            client.disconnect()
            client.loop_stop()


def test_every_message_arrives_whole_and_in_order(endpoints: Endpoints) -> None:
    _receive_all(endpoints.mqtt_port, endpoints, None)


def test_over_tls_too(endpoints: Endpoints, stack_config: StackConfig) -> None:
    _receive_all(stack_config.mqtt_tls_port, endpoints, certs.Authority(stack_config.tls))
