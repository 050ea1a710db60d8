"""The simulator's fleet over TLS: each device and its field gateway connect with their own
certificates to the certificate listener, and every publication reaches the broker's
subscribers (a refused one would be acknowledged with 0x87 and delivered to nobody)."""

from __future__ import annotations

import threading
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from deploy.stack import certs
from deploy.stack.config import StackConfig
from deploy.stack.process import wait_until
from ingest.simulator.fleet import Fleet
from ingest.simulator.publisher import Certificates, publish, senders
from schemas.settings import Endpoints
from tests.conftest import random_id

pytestmark = pytest.mark.shared_broker


def test_the_simulated_fleet_publishes_over_tls_with_a_certificate_per_sender(
    stack: Endpoints, stack_config: StackConfig, issue: Any, identities: Any
) -> None:
    enterprise = random_id("S")
    fleet = Fleet.synthetic(enterprise, 4, 0.5, gateway_share=0.5)
    for device in fleet.devices:  # a gateway id of this test's own
        device.gateway = device.gateway and f"GW-{enterprise}"
    who = senders(fleet)
    assert len(who) == 3  # two devices on their own, one field gateway for the other two
    for identity in who:
        issue(identity)
    identities({
        i: [f"hw/v1/{enterprise}/{i}/batch" if i.startswith("GW-") else f"hw/v1/{enterprise}/{i}/+"]
        for i in who
    })
    delivered: list[str] = []
    subscribed = threading.Event()
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    watcher.username_pw_set(stack.mqtt_service_user, stack.mqtt_service_password.get_secret_value())
    watcher.on_connect = lambda c, *_a: c.subscribe(f"hw/v1/{enterprise}/#", qos=1)
    watcher.on_subscribe = lambda *_a: subscribed.set()
    watcher.on_message = lambda _c, _u, msg: delivered.append(msg.topic)
    watcher.connect(stack.mqtt_host, stack.mqtt_port)
    watcher.loop_start()
    try:
        assert subscribed.wait(10)
        tls = Certificates(str(certs.Authority(stack_config.tls).ca_cert),
                           stack_config.tls / "clients")
        summary = publish(fleet, "127.0.0.1", stack_config.mqtt_cert_port, {}, 1.5,
                          certificates=tls)
        assert summary.publications > 0 and summary.unacked == 0
        wait_until(lambda: len(delivered) >= summary.publications, 10.0, interval=0.05)
    finally:
        watcher.disconnect()
        watcher.loop_stop()
    assert len(delivered) == summary.publications
    assert {t.split("/")[3] for t in delivered} == who
