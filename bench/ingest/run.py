"""`./run bench ingest`: simulated devices -> Mosquitto -> gateway(s) -> Kafka, and the same load
through a C bridge (`mosquitto_sub | kcat`) right after, in the same run.

Each case publishes from several publisher processes (bench/ingest/publishers.py) as fast as
they can for at most HW_BENCH_INGEST_SECONDS (closed loop: at most `MAX_BACKLOG` readings not
yet on Kafka), then waits for every reading on `hw.readings.v1`. Throughput = readings / (last
arrival - first publish). Latency = consumer arrival - the device `ts` stamped just before
publishing: an upper bound of publish -> Kafka ack (it adds the consumer's fetch interval). The
publishers' own rate is reported beside it: when it is close to the gateway's, the publisher
was the limit. A last case offers half the one-gateway rate at a fixed pace, for the latency
at a load the gateway keeps up with, and the C bridge at the same pace beside it (the floor of
what this latency measure can see). Everything shares the machine's cores, so the load
average is part of every result. Knobs: HW_BENCH_INGEST_SECONDS (8), HW_BENCH_INGEST_REPEATS (3,
medians), HW_BENCH_INGEST_PROCESSES (N gateways, default the cores),
HW_BENCH_INGEST_PUBLISHERS (publisher processes, 2), HW_BENCH_INGEST_PROFILE=DIR (py-spy
profiles of the gateways), HW_BENCH_INGEST_TLS=1 (also one gateway with single messages over TLS
— publishers to the broker's TLS listener, the gateway over TLS too — right before the same case
in plain text; `only`: that pair alone, e.g. with HW_BENCH_TAG=tls).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kafka import KafkaConsumer

from bench.harness import Row, median, percentile
from bench.ingest import bridge, budget, profile, publishers, setup
from ingest.simulator.fleet import Fleet

DRAIN_S = 30.0
MAX_BACKLOG = 5_000  # readings published but not yet seen on Kafka
# Payloads made ready before a case: enough for this rate over the case's seconds.
MAX_RATE = 12_000


@dataclass(frozen=True)
class Case:
    gateways: int  # 0 = the C bridge
    batch: int  # 1 = single messages; N = field-gateway batches of N readings
    devices: int
    rate: float | None = None  # readings/s offered at a fixed pace; None = as fast as allowed
    tls: bool = False  # publishers and gateway(s) on the broker's TLS listener

    @property
    def name(self) -> str:
        kind = "single messages" if self.batch == 1 else f"batches of {self.batch}"
        if self.rate is not None:
            kind += f" at {self.rate:.0f}/s"
        if self.tls:
            kind += " over TLS"
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


def run_case(env: Mapping[str, str], case: Case, seconds: float, processes: int = 2) -> Result:
    fleet = _fleet(case)
    registry = setup.registry_of(fleet)
    items = publishers.prepare(fleet, int((case.rate or MAX_RATE) * seconds * 1.1))
    wanted = env.get("HW_BENCH_INGEST_PROFILE")
    profile_dir = Path(wanted) if wanted else None
    # A batch is one Kafka record through the bridge, `batch` readings through the gateway.
    per_record = case.batch if case.gateways == 0 else 1
    with (
        setup.topics(env["HW_KAFKA_BOOTSTRAP"]) as names,
        setup.database(env, registry) as url,
    ):
        scoped = {**env, "HW_TOPIC_PREFIX": names.prefix, "HW_DATABASE_URL": url,
                  "HW_MQTT_TLS": "1" if case.tls else "0"}
        with _forwarders(case, scoped, fleet, names.readings, profile_dir) as pids:
            arrivals = Arrivals(env["HW_KAFKA_BOOTSTRAP"], names.readings)
            arrived = mp.get_context("fork").Value("q", 0, lock=False)
            mirror = threading.Event()
            threading.Thread(
                target=_mirror, args=(arrivals, arrived, per_record, mirror), daemon=True
            ).start()
            cpu_before = setup.cpu_seconds(pids)
            sent = publishers.publish(
                items, scoped, arrived, seconds, processes, MAX_BACKLOG, case.rate
            )
            readings, began, acked = sent.readings, sent.began, sent.acked
            deadline = time.time() + DRAIN_S
            while arrivals.count * per_record < readings and time.time() < deadline:
                time.sleep(0.1)
            cpu = setup.cpu_seconds(pids) - cpu_before
            mirror.set()
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


def _mirror(arrivals: Arrivals, arrived: object, per_record: int, stop: threading.Event) -> None:
    """Keeps the publishers' view of the readings seen on Kafka current (their backlog)."""
    while not stop.wait(0.005):
        arrived.value = arrivals.count * per_record  # type: ignore[attr-defined]


def paced_latency(
    env: Mapping[str, str], rate: float, devices: int, seconds: float, senders: int, repeats: int
) -> list[Row]:
    gateway, bridge = Case(1, 1, devices, rate=rate), Case(0, 1, devices, rate=rate)
    load = _load()
    runs: dict[Case, list[Result]] = {gateway: [], bridge: []}
    for _ in range(repeats):
        for case in (gateway, bridge):
            runs[case].append(run_case(env, case, seconds, senders))
    load = f"{load} -> {_load()}"
    return [*_rows(gateway, runs[gateway], load), *_rows(bridge, runs[bridge], load)]


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
    senders = int(env.get("HW_BENCH_INGEST_PUBLISHERS", "2"))
    single, batched = 2000, 1000
    tls = env.get("HW_BENCH_INGEST_TLS", "")
    # Each gateway case is followed at once by its baseline, so both see the same machine.
    pairs = [
        (Case(1, 1, single), Case(0, 1, single)),
        (Case(processes, 1, single), Case(0, 1, single)),
        (Case(1, 100, batched), Case(0, 100, batched)),
    ]
    if tls == "only":
        pairs = []
    if tls:
        pairs.append((Case(1, 1, single, tls=True), Case(1, 1, single)))
    rows: list[Row] = []
    one_gateway = 0.0
    for gateway_case, bridge_case in pairs:
        load = _load()
        gateway: list[Result] = []
        baseline: list[Result] = []
        for _ in range(repeats):
            gateway.append(run_case(env, gateway_case, seconds, senders))
            baseline.append(run_case(env, bridge_case, seconds, senders))
        load = f"{load} -> {_load()}"  # the machine is shared: its load before and after
        ratio = median([g.rate / max(b.rate, 1e-9) for g, b in zip(gateway, baseline, strict=True)])
        rows.extend(_rows(gateway_case, gateway, load))
        rows.extend(_rows(bridge_case, baseline, load))
        rows.append(
            Row(
                gateway_case.name,
                "TLS / plain" if gateway_case.tls else "gateway / C bridge",
                ratio,
                "ratio",
                "median of the per-run ratios",
            )
        )
        if gateway_case.gateways == 1 and gateway_case.batch == 1 and not gateway_case.tls:
            one_gateway = median([g.rate for g in gateway])
    if tls == "only":
        return rows
    # Latency where the gateway keeps up: half the one-gateway maximum, at a fixed pace; the C
    # bridge at the same pace, alternated with it, is the floor of what this measure can see.
    rows.extend(paced_latency(env, round(one_gateway / 2), single, seconds, senders, repeats))
    # Each step of a reading alone (bench/ingest/budget.py), beside the whole.
    load = _load()
    for step, micros in budget.measure(env).items():
        # In µs: in seconds the table would print these as 0.
        rows.append(Row("per-reading budget", f"{step} CPU", micros, "us", f"load {load}"))
    return rows
