"""Publishes the demo county over MQTT, one client per enterprise with its own credentials,
QoS 1, each device at its reporting interval with `ts` (epoch ms) and a growing `seq`."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from deploy.demo.incidents import scripts


@dataclass
class PublishStats:
    by_channel: Counter[str] = field(default_factory=Counter)
    unacked: int = 0


def _client(host: str, port: int, user: str, password: str) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"demo-{user}", protocol=mqtt.MQTTv5
    )
    client.username_pw_set(user, password)
    client.max_inflight_messages_set(100)
    client.connect(host, port, keepalive=30)
    client.loop_start()
    return client


def run(
    registry: dict[str, Any],
    host: str,
    port: int,
    seconds: float,
    stop: threading.Event | None = None,
    seed: int = 7,
) -> PublishStats:
    """Publish every scripted device for `seconds`; returns what was sent."""
    rng = random.Random(seed)
    passwords = {e["id"]: str(e["mqtt_password"]) for e in registry["enterprises"]}
    base = int(time.time() * 10)
    behaviour = scripts(base)
    devices = [d for d in registry["devices"] if d["id"] in behaviour]
    clients = {ent: _client(host, port, ent, pw) for ent, pw in passwords.items()}
    # Devices count on from where they were: a rerun of the demo must not look like a replay
    # (the stream worker drops a seq it has already seen). 10 per second of wall time is more
    # than any scripted device sends.
    seq: Counter[str] = Counter({d["id"]: base for d in devices})
    next_at = {d["id"]: 0.0 for d in devices}
    stats = PublishStats()
    pending: list[mqtt.MQTTMessageInfo] = []
    began = time.monotonic()
    try:
        while (t := time.monotonic() - began) < seconds and not (stop and stop.is_set()):
            for device in devices:
                if t < next_at[device["id"]]:
                    continue
                next_at[device["id"]] = t + float(device.get("report_interval_s", 10))
                message = behaviour[device["id"]](t, rng)
                if message is None:
                    continue
                seq[device["id"]] += 1
                body = {"ts": int(time.time() * 1000), "seq": seq[device["id"]], **message.payload}
                topic = f"hw/v1/{device['enterprise']}/{device['id']}/{message.channel}"
                info = clients[device["enterprise"]].publish(topic, json.dumps(body), qos=1)
                pending.append(info)
                stats.by_channel[message.channel] += 1
            time.sleep(0.1)
        for info in pending:
            info.wait_for_publish(timeout=10)
        stats.unacked = sum(1 for info in pending if not info.is_published())
    finally:
        for client in clients.values():
            client.disconnect()
            client.loop_stop()
    return stats
