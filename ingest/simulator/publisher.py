"""Publishes a `Fleet` over MQTT with QoS 1: one client per enterprise, with its credentials, or
over TLS one client per device (and per field gateway), each with its own client certificate
whose CN is its id, as real detectors do (docs/security.md)."""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ingest.simulator.fleet import Fleet
from ingest.tls import tls_context

TICK_S = 0.05


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


@dataclass(frozen=True)
class Certificates:
    """Client certificates `folder/ID.crt` + `folder/ID.key` (`./run certs issue ID` writes them
    to the stack's `secrets/tls/clients/`), checked against the broker's `ca_file`."""

    ca_file: str
    folder: Path

    def context(self, identity: str) -> ssl.SSLContext:
        return tls_context(
            self.ca_file, str(self.folder / f"{identity}.crt"), str(self.folder / f"{identity}.key")
        )

    def missing(self, identities: Iterable[str]) -> list[str]:
        return sorted(i for i in identities if not (self.folder / f"{i}.crt").exists())


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


def connect(
    host: str,
    port: int,
    credentials: Credentials | None,
    tls: ssl.SSLContext | None = None,
    name: str = "",
) -> mqtt.Client:
    """A started client: with `credentials` it logs in with them; with only `tls` (a client
    certificate) the certificate is the identity."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"sim-{name or (credentials and credentials.username)}-{uuid.uuid4().hex[:6]}",
        protocol=mqtt.MQTTv5,
    )
    if credentials is not None:
        client.username_pw_set(credentials.username, credentials.password)
    if tls is not None:
        client.tls_set_context(tls)
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
    certificates: Certificates | None = None,
) -> PublishSummary:
    """Run `fleet` for `seconds`; `credentials` maps enterprise id to its broker account (an
    enterprise missing from it is published with the `"*"` entry, e.g. the service account).
    With `certificates`, `port` is the broker's certificate listener and each device and field
    gateway connects with its own certificate instead."""
    if certificates is None:
        enterprises = {d.enterprise_id for d in fleet.devices}
        clients = {
            ent: connect(host, port, credentials.get(ent) or credentials["*"])
            for ent in enterprises
        }
    else:
        clients = {
            sender: connect(host, port, None, certificates.context(sender), sender)
            for sender in senders(fleet)
        }
        _require_connected(clients)
    summary = PublishSummary()
    pending: list[mqtt.MQTTMessageInfo] = []
    began = time.monotonic()
    try:
        while (t := time.monotonic() - began) < seconds and not (stop and stop.is_set()):
            for item in fleet.due(t, int(time.time() * 1000)):
                sender = item.enterprise_id if certificates is None else _sender(item.topic)
                client = clients[sender]
                pending.append(client.publish(item.topic, item.payload, 1))
                summary.publications += 1
                summary.readings += item.readings
                summary.by_kind[item.topic.rsplit("/", 1)[1]] += 1
            # Pace by the fleet's schedule: the next report is at most one tick away.
            time.sleep(TICK_S)
        deadline = time.monotonic() + 30
        for info in pending:
            # A client the broker dropped raises here; its messages count as unacknowledged.
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout=max(0.1, deadline - time.monotonic()))
        summary.unacked = sum(1 for info in pending if not info.is_published())
        summary.seconds = time.monotonic() - began
    finally:
        for client in clients.values():
            client.disconnect()
            client.loop_stop()
    return summary


class ConnectionRefused(Exception):
    """The broker did not take these clients' certificates (revoked, expired, another CA)."""


def _require_connected(clients: Mapping[str, mqtt.Client], timeout: float = 10.0) -> None:
    """With certificates the broker's verdict comes after the TLS handshake: wait for every
    CONNACK, so a refused certificate is one clear error instead of messages never acked."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(c.is_connected() for c in clients.values()):
        time.sleep(0.05)
    refused = sorted(name for name, c in clients.items() if not c.is_connected())
    if refused:
        for client in clients.values():
            client.disconnect()
            client.loop_stop()
        raise ConnectionRefused(f"the broker refused {len(refused)} client certificate(s): "
                                f"{' '.join(refused[:5])}")


def senders(fleet: Fleet) -> set[str]:
    """Who connects when every sender has its own certificate: each device that publishes for
    itself and each field gateway."""
    return {d.gateway or d.id for d in fleet.devices}


def _sender(topic: str) -> str:
    return topic.split("/", 4)[3]  # hw/v1/{enterprise}/{device or gateway}/{channel}
