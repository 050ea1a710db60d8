"""A real worker (or two) on the stack: readings/s through detection, offline delays."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from bench.harness import Row, median, percentile
from schemas.events import parse_event
from streams.settings import StreamsSettings
from streams.topology import Topology, ensure_topics


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def workers(env: Mapping[str, str], count: int, extra: Mapping[str, str]) -> Iterator[list[int]]:
    """`count` workers of one app; yields their HTTP ports once all are ready."""
    procs, ports = [], []
    log = Path(tempfile.gettempdir()) / f"bench-streams-{uuid.uuid4().hex[:6]}.log"
    try:
        for instance in range(1, count + 1):
            port = _port()
            child = {**os.environ, **env, **extra, "HW_STREAMS_HTTP_PORT": str(port)}
            with log.open("ab") as out:
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "streams", "worker", "--instance", str(instance)],
                    env=child, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
            ports.append(port)
        deadline = time.monotonic() + 120
        while not all(_ready(p) for p in ports):
            if time.monotonic() > deadline:
                raise TimeoutError(f"workers not ready; see {log}")
            time.sleep(0.5)
        yield ports
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _processed(ports: list[int]) -> float:
    total = 0.0
    for port in ports:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        for line in text.splitlines():
            if line.startswith("hazardwatch_streams_readings_processed_total{"):
                total += float(line.rsplit(" ", 1)[1])
    return total


@contextlib.contextmanager
def isolated(env: Mapping[str, str]) -> Iterator[tuple[dict[str, str], Topology]]:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    scoped = {**env, "HW_TOPIC_PREFIX": prefix, "HW_STREAMS_APP_ID": "bench-streams"}
    settings = StreamsSettings(topic_prefix=prefix, kafka_bootstrap=env["HW_KAFKA_BOOTSTRAP"])
    topology = Topology.of(settings)
    ensure_topics(settings.kafka_bootstrap, topology)
    try:
        yield scoped, topology
    finally:
        admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
        with contextlib.suppress(Exception):
            admin.delete_topics([t for t in admin.list_topics() if t.startswith(prefix)])
        admin.close()


def produce_readings(bootstrap: str, topic: str, devices: int, rounds: int) -> int:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, batch_size=256 * 1024)
    now = datetime.now(UTC).isoformat()
    for round_ in range(rounds):
        for index in range(devices):
            device = f"bench-{index}"
            producer.send(topic, key=device.encode(), value=json.dumps({
                "device_id": device, "enterprise_id": f"E{index // 20}", "family": "gas",
                "division": "330106001001", "channel": "telemetry", "ts": now,
                "seq": round_ + 1, "received_at": now, "gateway_id": None,
                "payload": {"concentration": 2.0 + round_ % 3},
            }).encode())
    producer.flush()
    producer.close()
    return devices * rounds


def worker_throughput(env: Mapping[str, str], count: int, devices: int, rounds: int) -> Row:
    with isolated(env) as (scoped, topology):
        total = produce_readings(env["HW_KAFKA_BOOTSTRAP"], topology.readings, devices, rounds)
        with workers(scoped, count, {"HW_STREAMS_REGISTRY": "none"}) as ports:
            began, done = time.monotonic(), 0.0
            deadline = began + 300
            while done < total and time.monotonic() < deadline:
                time.sleep(0.5)
                done = _processed(ports)
            elapsed = time.monotonic() - began
    note = "backlog drained from ready to last reading" + ("" if done >= total else " (TIMEOUT)")
    return Row(f"{count} worker(s), {devices:,} devices, {total:,} readings", "readings/s",
               round(done / elapsed), "1/s", note)


def offline_delays(
    env: Mapping[str, str], devices: int, offline_after_s: float, spread_s: int = 0
) -> list[Row]:
    """Delay from each device's offline deadline (= event occurred_at) to the event's arrival.

    All devices report once, then fall silent. With `spread_s` 0 every deadline is the same
    instant (a county-wide outage); otherwise device i waits `offline_after_s + i % spread_s`,
    so the deadlines come evenly over `spread_s` seconds, as silences do in a normal day."""
    with isolated(env) as (scoped, topology), tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "registry.yaml"
        registry.write_text(yaml.safe_dump({"devices": [
            {"id": f"bench-{i}", "enterprise": f"E{i}", "family": "gas",
             "offline_after_s": offline_after_s + (i % spread_s if spread_s else 0)}
            for i in range(devices)]}))
        extra = {"HW_STREAMS_REGISTRY": "file", "HW_STREAMS_REGISTRY_FILE": str(registry)}
        consumer = KafkaConsumer(topology.events, bootstrap_servers=env["HW_KAFKA_BOOTSTRAP"],
                                 auto_offset_reset="earliest", group_id=None)
        with workers(scoped, 1, extra):
            produce_readings(env["HW_KAFKA_BOOTSTRAP"], topology.readings, devices, 1)
            delays: list[float] = []
            deadline = time.monotonic() + offline_after_s + spread_s + max(60.0, devices / 500)
            while len(delays) < devices and time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=500).values():
                    arrived = datetime.now(UTC)
                    for record in records:
                        event = parse_event(record.value)
                        if event.condition == "offline" and event.type == "AlarmRaised":
                            delays.append((arrived - event.occurred_at).total_seconds())
        consumer.close()
    case = f"offline detection, {devices:,} devices, offline_after_s={offline_after_s:g}"
    if spread_s:
        case += f"+0..{spread_s - 1} (deadlines over {spread_s} s)"
    else:
        case += " (one deadline for all)"
    linger = os.environ.get(
        "HW_STREAMS_PRODUCER_LINGER_MS", str(StreamsSettings().streams_producer_linger_ms)
    )
    note = f"{len(delays)}/{devices} detected; timer period 1 s, producer linger {linger} ms"
    return [
        Row(case, "p50 delay after deadline", round(median(delays), 3), "s", note),
        Row(case, "p95 delay after deadline", round(percentile(delays, 95), 3), "s", note),
        Row(case, "max delay after deadline", round(max(delays, default=float("nan")), 3), "s",
            note),
    ]
