"""Publishes a `Fleet` over MQTT with QoS 1: one client per enterprise, with its credentials."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ingest.simulator.fleet import Fleet

TICK_S = 0.05


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


@dataclass
class PublishSummary:
    publications: int = 0
    readings: int = 0
    unacked: int = 0
    seconds: float = 0.0
    by_kind: Counter[str] = field(default_factory=Counter)  # channel name or "batch"

    @property
    def readings_per_s(self) -> float:
        return self.readings / self.seconds if self.seconds else 0.0


def connect(host: str, port: int, credentials: Credentials) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"sim-{credentials.username}-{uuid.uuid4().hex[:6]}",
        protocol=mqtt.MQTTv5,
    )
    client.username_pw_set(credentials.username, credentials.password)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host, port, keepalive=30)
    client.loop_start()
    return client


def publish(
    fleet: Fleet,
    host: str,
    port: int,
    credentials: Mapping[str, Credentials],
    seconds: float,
    stop: threading.Event | None = None,
) -> PublishSummary:
    """Run `fleet` for `seconds`; `credentials` maps enterprise id to its broker account (an
    enterprise missing from it is published with the `"*"` entry, e.g. the service account)."""
    enterprises = {d.enterprise_id for d in fleet.devices}
    clients = {
        ent: connect(host, port, credentials.get(ent) or credentials["*"]) for ent in enterprises
    }
    summary = PublishSummary()
    pending: list[mqtt.MQTTMessageInfo] = []
    began = time.monotonic()
    try:
        while (t := time.monotonic() - began) < seconds and not (stop and stop.is_set()):
            for item in fleet.due(t, int(time.time() * 1000)):
                pending.append(clients[item.enterprise_id].publish(item.topic, item.payload, 1))
                summary.publications += 1
                summary.readings += item.readings
                summary.by_kind[item.topic.rsplit("/", 1)[1]] += 1
            # Pace by the fleet's schedule: the next report is at most one tick away.
            time.sleep(TICK_S)
        deadline = time.monotonic() + 30
        for info in pending:
            info.wait_for_publish(timeout=max(0.1, deadline - time.monotonic()))
        summary.unacked = sum(1 for info in pending if not info.is_published())
        summary.seconds = time.monotonic() - began
    finally:
        for client in clients.values():
            client.disconnect()
            client.loop_stop()
    return summary
