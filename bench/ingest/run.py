"""`./run bench ingest`: simulated devices -> Mosquitto -> gateway(s) -> Kafka, and the same load
through a C bridge (`mosquitto_sub | kcat`) right after, in the same run.

Each case publishes as fast as the publisher can for at most `PUBLISH_S` seconds (closed loop:
at most `MAX_BACKLOG` readings not yet on Kafka), then waits for every reading on
`hw.readings.v1`. Throughput = readings / (last arrival - first publish). Latency = consumer
arrival - the device `ts` stamped just before publishing: an upper bound of publish -> Kafka ack
(it adds the consumer's fetch interval). The publisher's own rate is reported beside it: when it
is close to the gateway's, the publisher was the limit. Everything shares the machine's cores,
so the load average is part of every result. Knobs: HW_BENCH_INGEST_SECONDS (8),
HW_BENCH_INGEST_REPEATS (3, medians), HW_BENCH_INGEST_PROCESSES (N gateways, default the cores),
HW_BENCH_INGEST_PROFILE=DIR (py-spy profiles of the gateways).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from kafka import KafkaConsumer

from bench.harness import Row, median, percentile
from bench.ingest import bridge, profile, setup
from ingest.simulator.fleet import Fleet
from ingest.simulator.publisher import Credentials, connect

DRAIN_S = 30.0
PUBLISHERS = 2
MAX_BACKLOG = 5_000  # readings published but not yet seen on Kafka


@dataclass(frozen=True)
class Case:
    gateways: int  # 0 = the C bridge
    batch: int  # 1 = single messages; N = field-gateway batches of N readings
    devices: int

    @property
    def name(self) -> str:
        kind = "single messages" if self.batch == 1 else f"batches of {self.batch}"
        if self.gateways == 0:
            return f"C bridge, {kind}"
        return f"{self.gateways} gateway{'s' if self.gateways > 1 else ''}, {kind}"


@dataclass(frozen=True)
class Result:
    rate: float
    published_rate: float
    p50: float
    p99: float
    cpu_per_1000: float
    note: str


class Arrivals:
    def __init__(self, bootstrap: str, topic: str) -> None:
        self.count = 0
        self.latencies: list[float] = []
        self.last = 0.0
        self._stop = threading.Event()
        self._consumer = KafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            group_id=None,
            consumer_timeout_ms=200,
            fetch_max_wait_ms=50,
        )
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for record in self._consumer:
                now = time.time()
                self.latencies.append(now - _ts(json.loads(record.value)))
                self.count += 1
                self.last = now
        self._consumer.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _ts(value: dict[str, object]) -> float:
    """The reading's `ts`: RFC 3339 in an envelope, epoch ms in a raw payload (the bridge)."""
    ts = value.get("ts")
    if ts is None and isinstance(value.get("readings"), list):
        ts = value["readings"][0].get("ts")  # type: ignore[index]
    if isinstance(ts, int | float):
        return float(ts) / 1000
    return datetime.fromisoformat(str(ts).replace("Z", "+00:00")).timestamp()


def _publish(
    fleet: Fleet, env: Mapping[str, str], arrivals: Arrivals, per_record: int, seconds: float
) -> tuple[int, float, float]:
    """Returns (readings published, first publish, last PUBACK from the broker)."""
    creds = Credentials(env["HW_MQTT_SERVICE_USER"], env["HW_MQTT_SERVICE_PASSWORD"])
    host, port = env["HW_MQTT_HOST"], int(env["HW_MQTT_PORT"])
    clients = [connect(host, port, creds) for _ in range(PUBLISHERS)]
    pending: list[mqtt.MQTTMessageInfo] = []
    readings, began, rounds = 0, time.time(), 0
    while time.time() - began < seconds:
        rounds += 1
        for i, item in enumerate(fleet.due(float(rounds), int(time.time() * 1000))):
            pending.append(clients[i % PUBLISHERS].publish(item.topic, item.payload, 1))
            readings += item.readings
        # Closed loop: a bounded backlog, so latency measures the pipeline, not a queue the
        # publisher piled up faster than any gateway could drain.
        while (
            readings - arrivals.count * per_record > MAX_BACKLOG and time.time() - began < seconds
        ):
            time.sleep(0.002)
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
    return readings, began, acked


def _fleet(case: Case) -> Fleet:
    enterprise = f"B{uuid.uuid4().hex[:8]}"
    share = 0.0 if case.batch == 1 else 1.0
    fleet = Fleet.synthetic(enterprise, case.devices, 1.0, gateway_share=share)
    if case.batch > 1:
        # GW-1 .. GW-n, `batch` devices each: one batch of `batch` readings per gateway per round.
        for index, device in enumerate(fleet.devices):
            device.gateway = f"GW-{index // case.batch}"
    return fleet


@contextlib.contextmanager
def _forwarders(
    case: Case, env: Mapping[str, str], fleet: Fleet, topic: str, profile_dir: Path | None
) -> Iterator[list[int]]:
    if case.gateways == 0:
        bridge.ensure_tools()
        with bridge.bridge(env, fleet.devices[0].enterprise_id, topic) as pids:
            time.sleep(1.0)  # mosquitto_sub subscribed before the first publish
            yield pids
        return
    with (
        setup.gateways(env, case.gateways) as procs,
        profile.sampled([p.pid for p in procs], profile_dir, case.name),
    ):
        yield [p.pid for p in procs]


def run_case(env: Mapping[str, str], case: Case, seconds: float) -> Result:
    fleet = _fleet(case)
    registry = setup.registry_of(fleet)
    wanted = env.get("HW_BENCH_INGEST_PROFILE")
    profile_dir = Path(wanted) if wanted else None
    # A batch is one Kafka record through the bridge, `batch` readings through the gateway.
    per_record = case.batch if case.gateways == 0 else 1
    with (
        setup.topics(env["HW_KAFKA_BOOTSTRAP"]) as names,
        setup.database(env, registry) as url,
    ):
        scoped = {**env, "HW_TOPIC_PREFIX": names.prefix, "HW_DATABASE_URL": url}
        with _forwarders(case, scoped, fleet, names.readings, profile_dir) as pids:
            arrivals = Arrivals(env["HW_KAFKA_BOOTSTRAP"], names.readings)
            cpu_before = setup.cpu_seconds(pids)
            for device in fleet.devices:
                device.next_at = 0.0
            readings, began, acked = _publish(fleet, env, arrivals, per_record, seconds)
            deadline = time.time() + DRAIN_S
            while arrivals.count * per_record < readings and time.time() < deadline:
                time.sleep(0.1)
            cpu = setup.cpu_seconds(pids) - cpu_before
            arrivals.close()
    arrived = arrivals.count * per_record
    elapsed = max(arrivals.last - began, 1e-9)
    return Result(
        rate=arrived / elapsed,
        published_rate=readings / max(acked - began, 1e-9),
        p50=percentile(arrivals.latencies, 50),
        p99=percentile(arrivals.latencies, 99),
        cpu_per_1000=cpu / max(arrived, 1) * 1000,
        note=f"{arrived}/{readings} arrived",
    )


def _rows(case: Case, results: list[Result], load: str) -> list[Row]:
    notes = "; ".join(r.note for r in results)
    runs = ", ".join(f"{r.rate:.0f}" for r in results)
    return [
        Row(
            case.name,
            "readings/s",
            median([r.rate for r in results]),
            "1/s",
            f"median of {len(results)} ({runs}); {notes}; load {load}",
        ),
        Row(case.name, "publisher readings/s", median([r.published_rate for r in results]), "1/s"),
        Row(case.name, "p50 publish->Kafka", median([r.p50 for r in results]), "s"),
        Row(case.name, "p99 publish->Kafka", median([r.p99 for r in results]), "s"),
        Row(
            case.name,
            "forwarder CPU per 1000 readings",
            median([r.cpu_per_1000 for r in results]),
            "s",
        ),
    ]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(env: Mapping[str, str]) -> list[Row]:
    seconds = float(env.get("HW_BENCH_INGEST_SECONDS", "8"))
    repeats = int(env.get("HW_BENCH_INGEST_REPEATS", "3"))
    processes = int(env.get("HW_BENCH_INGEST_PROCESSES", str(os.cpu_count() or 2)))
    single, batched = 2000, 1000
    # Each gateway case is followed at once by its baseline, so both see the same machine.
    pairs = [
        (Case(1, 1, single), Case(0, 1, single)),
        (Case(processes, 1, single), Case(0, 1, single)),
        (Case(1, 100, batched), Case(0, 100, batched)),
    ]
    rows: list[Row] = []
    for gateway_case, bridge_case in pairs:
        load = _load()
        gateway: list[Result] = []
        baseline: list[Result] = []
        for _ in range(repeats):
            gateway.append(run_case(env, gateway_case, seconds))
            baseline.append(run_case(env, bridge_case, seconds))
        ratio = median([g.rate / max(b.rate, 1e-9) for g, b in zip(gateway, baseline, strict=True)])
        rows.extend(_rows(gateway_case, gateway, load))
        rows.extend(_rows(bridge_case, baseline, load))
        rows.append(
            Row(
                gateway_case.name,
                "gateway / C bridge",
                ratio,
                "ratio",
                "median of the per-run ratios",
            )
        )
    return rows
