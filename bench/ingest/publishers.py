"""Publisher processes for the ingest bench: several, each with its own MQTT clients, so the
publisher is not what is measured.

The payloads are generated before the clock starts (a fleet's behaviours cost more CPU per
message than publishing it) with a placeholder `ts`, which each publisher replaces with the
current epoch milliseconds just before it publishes: latency is still measured from the moment
of publishing. A device's messages all go through one process and one client, in order.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event

import paho.mqtt.client as mqtt

from ingest.simulator.fleet import Fleet, Publication
from ingest.simulator.publisher import Credentials, connect
from ingest.tls import tls_context

PLACEHOLDER_MS = 1_111_111_111_111  # a valid epoch-ms `ts` (2005), replaced at publish time
CLIENTS_PER_PROCESS = 2
DRAIN_S = 30.0


@dataclass(frozen=True)
class Published:
    readings: int
    began: float  # wall clock of the first publish
    acked: float  # wall clock of the last PUBACK from the broker


def prepare(fleet: Fleet, readings: int) -> list[Publication]:
    """Rounds of the fleet (every device once per round) until `readings` are owed."""
    for device in fleet.devices:
        device.next_at = 0.0
    out: list[Publication] = []
    owed, rounds = 0, 0
    while owed < readings:
        rounds += 1
        for item in fleet.due(float(rounds), PLACEHOLDER_MS):
            out.append(item)
            owed += item.readings
    return out


def publish(
    items: list[Publication],
    env: Mapping[str, str],
    arrived: Synchronized,  # type: ignore[type-arg]
    seconds: float,
    processes: int,
    max_backlog: int,
    rate: float | None = None,
) -> Published:
    """Publishes `items` from `processes` processes for at most `seconds`: as fast as the
    backlog (published, not yet on Kafka: `arrived` is kept current by the caller) allows, or
    at `rate` readings/s in total."""
    ctx = mp.get_context("fork")
    shares: list[list[Publication]] = [[] for _ in range(processes)]
    for item in items:  # by topic: one device (or field gateway) stays in one process
        shares[zlib.crc32(item.topic.encode()) % processes].append(item)
    published = ctx.Value("q", 0)
    go = ctx.Event()
    results = ctx.SimpleQueue()
    children = [
        ctx.Process(
            target=_child,
            args=(
                share,
                dict(env),
                published,
                arrived,
                go,
                results,
                seconds,
                max_backlog,
                None if rate is None else rate / processes,
            ),
            daemon=True,
        )
        for share in shares
    ]
    for child in children:
        child.start()
    time.sleep(1.0)  # every child connected before the clock starts
    began = time.time()
    go.set()
    done = [results.get() for _ in children]
    for child in children:
        child.join(timeout=10)
    return Published(sum(r for r, _ in done), began, max(a for _, a in done))


def _child(
    items: list[Publication],
    env: dict[str, str],
    published: Synchronized,  # type: ignore[type-arg]
    arrived: Synchronized,  # type: ignore[type-arg]
    go: Event,
    results: mp.SimpleQueue,  # type: ignore[type-arg]
    seconds: float,
    max_backlog: int,
    rate: float | None,
) -> None:
    creds = Credentials(env["HW_MQTT_SERVICE_USER"], env["HW_MQTT_SERVICE_PASSWORD"])
    host, port = env["HW_MQTT_HOST"], int(env["HW_MQTT_PORT"])
    tls = None
    if env.get("HW_MQTT_TLS") == "1":  # the broker's TLS listener, the password over TLS
        port, tls = int(env["HW_MQTT_TLS_PORT"]), tls_context(env.get("HW_MQTT_CA_FILE", ""))
    clients = [connect(host, port, creds, tls) for _ in range(CLIENTS_PER_PROCESS)]
    pending: list[mqtt.MQTTMessageInfo] = []
    placeholder = str(PLACEHOLDER_MS).encode()
    go.wait()
    began = time.time()
    readings = 0
    for i, item in enumerate(items):
        now = time.time()
        if now - began >= seconds:
            break
        if rate is not None:
            due = began + readings / rate
            if due > now:
                time.sleep(due - now)
        # Closed loop: a bounded backlog, so latency measures the pipeline, not a queue the
        # publishers piled up faster than any gateway could drain.
        while published.value - arrived.value > max_backlog and time.time() - began < seconds:
            time.sleep(0.002)
        payload = item.payload.replace(placeholder, str(int(time.time() * 1000)).encode())
        pending.append(clients[i % CLIENTS_PER_PROCESS].publish(item.topic, payload, 1))
        readings += item.readings
        with published.get_lock():
            published.value += item.readings
    # One deadline for them all: a publisher the broker dropped would otherwise wait its full
    # timeout once per message it still holds.
    deadline = time.time() + DRAIN_S
    for info in pending:
        with contextlib.suppress(RuntimeError, ValueError):
            info.wait_for_publish(timeout=max(0.01, deadline - time.time()))
    acked = time.time()
    for client in clients:
        client.disconnect()
        client.loop_stop()
    results.put((readings, acked))
