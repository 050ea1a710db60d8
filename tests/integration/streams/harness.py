"""Driving a real stream worker: start it as a subprocess with the test's environment, produce
readings and commands to its topics, and collect what it emits on hw.alarm-events.v1."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from kafka import KafkaConsumer, KafkaProducer

from schemas.events import AlarmEvent, parse_event
from schemas.settings import Endpoints

DIVISION = "330106001001"


def rid(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def worker_env(
    endpoints: Endpoints, env: dict[str, str], port: int, registry_file: Path | None = None
) -> dict[str, str]:
    extra = {
        "HW_STREAMS_APP_ID": rid("streams-"),
        "HW_STREAMS_HTTP_PORT": str(port),
        "HW_STREAMS_REGISTRY": "file" if registry_file else "none",
    }
    if registry_file is not None:
        extra["HW_STREAMS_REGISTRY_FILE"] = str(registry_file)
    return {**env, **extra}


def write_registry(path: Path, devices: Iterable[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"enterprises": [], "devices": list(devices)}))
    return path


def gas_site(
    directory: Path, devices: int, offline_after_s: float
) -> tuple[str, list[str], Path]:
    """An enterprise of `devices` gas detectors in a registry file: (enterprise, ids, file)."""
    enterprise, ids = rid("E"), [rid("gd-") for _ in range(devices)]
    registry = write_registry(directory / "registry.yaml", [
        {"id": d, "enterprise": enterprise, "family": "gas", "offline_after_s": offline_after_s}
        for d in ids
    ])
    return enterprise, ids, registry


class Wire:
    """A producer and an events consumer on one test's topics."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.topics = endpoints.topics
        self.producer = KafkaProducer(**endpoints.kafka.client_options(), linger_ms=5)
        self.consumer = KafkaConsumer(
            self.topics.alarm_events,
            **endpoints.kafka.client_options(),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        self.events: list[AlarmEvent] = []
        self._seq: dict[str, int] = {}

    def close(self) -> None:
        self.producer.close()
        self.consumer.close()

    def reading(
        self,
        device_id: str,
        enterprise_id: str,
        payload: dict[str, Any],
        family: str = "gas",
        channel: str = "telemetry",
        seq: int | None = None,
    ) -> int:
        seq = seq if seq is not None else self._seq.get(device_id, 0) + 1
        self._seq[device_id] = max(seq, self._seq.get(device_id, 0))
        now = datetime.now(UTC).isoformat()
        envelope = {
            "device_id": device_id,
            "enterprise_id": enterprise_id,
            "family": family,
            "division": DIVISION,
            "channel": channel,
            "ts": now,
            "seq": seq,
            "received_at": now,
            "gateway_id": None,
            "payload": payload,
        }
        self.producer.send(
            self.topics.readings, key=device_id.encode(), value=json.dumps(envelope).encode()
        )
        self.producer.flush()
        return seq

    def send_raw(self, device_id: str, value: bytes) -> None:
        self.producer.send(self.topics.readings, key=device_id.encode(), value=value)

    def command(
        self, device_id: str, kind: str, alarm_id: str | None, role: str = "monitor", **fields: Any
    ) -> str:
        command_id = rid("cmd-")
        default_scope = {"monitor": DIVISION[:9], "regulator": DIVISION[:6]}.get(role, "")
        scope = fields.pop("scope", default_scope)
        body = {
            "command_id": command_id,
            "kind": kind,
            "alarm_id": alarm_id,
            "device_id": device_id,
            "actor": {"subject": rid("user-"), "role": role, "scope": scope},
            "issued_at": datetime.now(UTC).isoformat(),
            **fields,
        }
        self.producer.send(
            self.topics.alarm_commands, key=device_id.encode(), value=json.dumps(body).encode()
        )
        self.producer.flush()
        return command_id

    def poll(self) -> list[AlarmEvent]:
        for records in self.consumer.poll(timeout_ms=200).values():
            self.events.extend(parse_event(record.value) for record in records)
        return self.events

    def wait_for(
        self, done: Callable[[list[AlarmEvent]], bool], timeout: float = 60.0
    ) -> list[AlarmEvent]:
        """Polls until `done(events so far)` holds; fails with what arrived if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done(self.poll()):
                return self.events
        raise AssertionError(f"not seen within {timeout:.0f} s; events: {self.summary()}")

    def report_until(
        self,
        device_id: str,
        enterprise_id: str,
        payload: dict[str, Any],
        done: Callable[[list[AlarmEvent]], bool],
        timeout: float = 60.0,
        family: str = "gas",
    ) -> list[AlarmEvent]:
        """Keeps reporting `payload` (about 5 per second, as a live detector would) until
        `done` holds: conditions that must persist for a while need fresh readings."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.reading(device_id, enterprise_id, payload, family=family)
            if done(self.poll()):
                return self.events
        raise AssertionError(f"not seen within {timeout:.0f} s; events: {self.summary()}")

    def settle(self, quiet_s: float = 3.0) -> list[AlarmEvent]:
        """Polls until nothing new arrived for `quiet_s` (to prove something did NOT happen)."""
        last, count = time.monotonic(), len(self.events)
        while time.monotonic() - last < quiet_s:
            if len(self.poll()) != count:
                last, count = time.monotonic(), len(self.events)
        return self.events

    def of(self, device_id: str) -> list[AlarmEvent]:
        return [e for e in self.events if e.device_id == device_id]

    def summary(self) -> list[tuple[str, str, str, int]]:
        return [(e.device_id, e.type, e.condition, e.seq) for e in self.events]


def unique_events(events: Iterable[AlarmEvent]) -> list[AlarmEvent]:
    """Events after dedupe by event_id, as every consumer sees them."""
    seen: dict[str, AlarmEvent] = {}
    for event in events:
        seen.setdefault(event.event_id, event)
    return list(seen.values())


def envelope(
    device_id: str,
    enterprise_id: str,
    seq: int,
    ts: datetime,
    payload: dict[str, Any],
    family: str = "gas",
    channel: str = "telemetry",
    received_at: datetime | None = None,
) -> bytes:
    """A reading on the device's own clock `ts` (received now, unless said)."""
    return json.dumps(
        {
            "device_id": device_id,
            "enterprise_id": enterprise_id,
            "family": family,
            "division": DIVISION,
            "channel": channel,
            "ts": ts.isoformat(),
            "seq": seq,
            "received_at": (received_at or datetime.now(UTC)).isoformat(),
            "gateway_id": None,
            "payload": payload,
        }
    ).encode()
