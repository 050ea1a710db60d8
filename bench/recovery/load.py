"""The steady load of the benchmark and what it observes.

`Fleet` publishes over MQTT (through the gateway, as detectors do): every device one clean
reading every `period_s`, and every second `leaks_per_s` fresh devices start leaking (30 %LEL,
level 1: raised at once), reporting every 0.5 s for their first 10 s and at the normal period
after that (so the load stays steady). `Watch` follows Kafka: when each
reading was forwarded (with its `received_at`) and when each leak's AlarmRaised arrived.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

import paho.mqtt.client as mqtt
from kafka import KafkaConsumer
from paho.mqtt.enums import CallbackAPIVersion

from schemas.topics import TopicNames

LEAK = 30.0  # %LEL: level 1 (>= 25), raised without a hold time
_LEAKING_PERIOD_S = 0.5
_FAST_FOR_S = 10.0


@dataclass
class Fleet:
    enterprise: str
    password: str
    devices: list[str]
    mqtt_port: int
    period_s: float = 4.0
    leaks_per_s: int = 2
    leak_started: dict[str, float] = field(default_factory=dict)  # device -> wall time
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                   client_id=f"bench-{self.enterprise}")
        self._client.username_pw_set(self.enterprise, self.password)
        self._client.connect("127.0.0.1", self.mqtt_port)
        self._client.loop_start()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._client.loop_stop()
        self._client.disconnect()

    def _publish(self, device: str, seq: int, value: float) -> None:
        payload = {"ts": int(time.time() * 1000), "seq": seq, "concentration": value,
                   "unit": "%LEL"}
        self._client.publish(f"hw/v1/{self.enterprise}/{device}/telemetry", json.dumps(payload),
                             qos=1)

    def _run(self) -> None:
        seqs = dict.fromkeys(self.devices, 0)
        began = time.monotonic()
        # Each device has its own phase in the period, so the load is steady.
        due = {d: began + self.period_s * i / len(self.devices) for i, d in enumerate(self.devices)}
        fresh = list(reversed(self.devices))
        next_leaks = began + 1.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_leaks:
                next_leaks += 1.0
                for _ in range(self.leaks_per_s):
                    if fresh:
                        device = fresh.pop()
                        self.leak_started[device] = time.time()
                        due[device] = now
            for device, at in due.items():
                if at <= now:
                    seqs[device] += 1
                    leaking = device in self.leak_started
                    self._publish(device, seqs[device], LEAK if leaking else 1.0)
                    fast = leaking and time.time() - self.leak_started[device] < _FAST_FOR_S
                    due[device] = at + (_LEAKING_PERIOD_S if fast else self.period_s)
            time.sleep(0.02)


@dataclass
class Watch:
    bootstrap: str
    topics: TopicNames
    forwarded: list[tuple[float, float]] = field(default_factory=list)  # (arrived, received_at)
    raised: dict[str, float] = field(default_factory=dict)  # device -> first AlarmRaised arrival
    # The readings only when the gateway is measured: decoding every one of 300 a second, this
    # thread fell behind on a loaded machine and saw the alarms late (or not within the wait).
    readings: bool = True
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        topics = [self.topics.alarm_events] + ([self.topics.readings] if self.readings else [])
        self._consumer = KafkaConsumer(
            *topics, bootstrap_servers=self.bootstrap,
            auto_offset_reset="latest", enable_auto_commit=False, group_id=None,
        )
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._consumer.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            for tp, records in self._consumer.poll(timeout_ms=100).items():
                arrived = time.time()
                for record in records:
                    body = json.loads(record.value)
                    if tp.topic == self.topics.readings:
                        received = datetime.fromisoformat(body["received_at"]).timestamp()
                        self.forwarded.append((arrived, received))
                    elif body.get("type") == "AlarmRaised" and body.get("condition") == "gas_level":
                        self.raised.setdefault(body["device_id"], arrived)
