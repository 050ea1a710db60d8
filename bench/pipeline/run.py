"""`./run bench pipeline`: sustained capacity of the whole pipeline, every service co-located.

MQTT -> gateway(s) -> Kafka -> stream worker -> sinks -> PostgreSQL, in a second stack of
`./run up`'s supervised processes (bench/recovery/stack.py: its own Mosquitto, ports, topics and
database; the main stack's Kafka and PostgreSQL), fed by publisher processes at fixed offered
rates from 10,000 devices (bench/ingest/publishers.py). For each rate:
- publish -> row latency, from tracer devices (every 50th) whose rows a poller looks for every
  `POLL_S` (so latency is known to within that): the row's `ts` is stamped at publish time;
- sustained: every reading is in the database within `LAG_BOUND_S` of the last publish, and the
  p99 publish -> row is under `LAG_BOUND_S` (sink and consumer lag bounded), else not;
- CPU per process (share of one core) over the rate's window.
The figure is the highest sustained rate. Rates go up until one is not sustained.
Knobs: HW_BENCH_PIPELINE_RATES ("1000,2000,4000"), HW_BENCH_PIPELINE_SECONDS (60 per rate;
the issue's 3 minutes where time allows), HW_BENCH_PIPELINE_DEVICES (10000),
HW_BENCH_PIPELINE_PUBLISHERS (2), HW_BENCH_PIPELINE_WORKERS (1), HW_INGEST_PROCESSES
(gateways; default the cores, as `./run up`).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from bench.harness import Row, percentile
from bench.ingest import publishers, setup
from bench.recovery.stack import BenchStack, second_stack
from deploy import services
from ingest.simulator.fleet import Fleet
from storage.datastore import Datastore
from storage.registry import RegistryRepository

POLL_S = 0.25
LAG_BOUND_S = 5.0
TRACE_EVERY = 50
WARM_UP_S = 180.0


def _warm_up(bench: BenchStack, fleet: Fleet, url: str, senders: int) -> None:
    """A trickle until it is stored: every process has its partitions (a worker's first
    rebalance takes a while on a loaded machine) before a rate is measured."""
    items = publishers.prepare(fleet, 500)
    unbounded = mp.get_context("fork").Value("q", 0, lock=False)
    sent = publishers.publish(items, bench.env, unbounded, 5.0, senders, 10**12, rate=100)
    deadline = time.time() + WARM_UP_S
    while _stored(url) < sent.readings and time.time() < deadline:
        time.sleep(1.0)


def run(env: Mapping[str, str]) -> list[Row]:
    rates = [int(r) for r in env.get("HW_BENCH_PIPELINE_RATES", "1000,2000,4000").split(",")]
    seconds = float(env.get("HW_BENCH_PIPELINE_SECONDS", "60"))
    devices = int(env.get("HW_BENCH_PIPELINE_DEVICES", "10000"))
    senders = int(env.get("HW_BENCH_PIPELINE_PUBLISHERS", "2"))
    workers = int(env.get("HW_BENCH_PIPELINE_WORKERS", "1"))
    gateways = services.ingest_processes()
    rows: list[Row] = []
    best = 0
    with second_stack(env, workers) as bench:
        fleet = Fleet.synthetic(f"P{uuid.uuid4().hex[:8]}", devices, 1.0)
        url = bench.overrides["HW_DATABASE_URL"]
        store = Datastore(url)
        try:
            RegistryRepository(store).replace_all(setup.registry_of(fleet), {})
        finally:
            store.close()
        services.up(bench.cfg, echo=lambda _l: None, timeout=180, overrides=bench.overrides)
        _warm_up(bench, fleet, url, senders)
        for rate in rates:
            result = _one_rate(bench, fleet, url, rate, seconds, senders)
            rows += _rows(rate, result, gateways, workers, seconds, devices)
            if not result.sustained:
                break
            best = rate
    rows.append(
        Row(
            "pipeline, co-located",
            "highest sustained rate",
            float(best),
            "1/s",
            f"of {', '.join(map(str, rates))}; {gateways} gateway(s), {workers} worker(s), "
            f"{devices} devices, {seconds:.0f} s per rate",
        )
    )
    return rows


@dataclass(frozen=True)
class RateResult:
    offered: float  # the publishers' own rate
    seen: int  # tracer rows found
    traced: int  # tracer readings published
    p50: float
    p99: float
    caught_up: bool
    cpu: dict[str, float]  # process -> share of one core
    load: tuple[tuple[float, ...], tuple[float, ...]]

    @property
    def sustained(self) -> bool:
        return self.caught_up and self.p99 < LAG_BOUND_S and self.seen >= 0.99 * self.traced


def _one_rate(
    bench: BenchStack, fleet: Fleet, url: str, rate: int, seconds: float, senders: int
) -> RateResult:
    tracers = {d.id for d in fleet.devices[::TRACE_EVERY]}
    items = publishers.prepare(fleet, int(rate * seconds * 1.05))
    traced = sum(1 for item in items if item.topic.split("/")[3] in tracers)
    baseline = _stored(url)
    poller = _Poller(url, sorted(tracers))
    poller.start()
    pids = _pids(bench)
    cpu_before = {name: setup.cpu_seconds([pid]) for name, pid in pids.items()}
    children_before = _children_cpu()
    load_before = os.getloadavg()
    began = time.monotonic()
    # Open loop: the offered rate is the rate, whatever the pipeline does with it.
    unbounded = mp.get_context("fork").Value("q", 0, lock=False)
    sent = publishers.publish(
        items, bench.env, unbounded, seconds, senders, max_backlog=10**12, rate=rate
    )
    window = time.monotonic() - began
    cpu = {name: setup.cpu_seconds([pid]) - cpu_before[name] for name, pid in pids.items()}
    cpu["publishers"] = _children_cpu() - children_before
    load_after = os.getloadavg()
    # Everything of this rate stored within the bound after the last publish?
    expected = baseline + sent.readings
    deadline = sent.acked + LAG_BOUND_S
    while time.time() < deadline and _stored(url) < expected:
        time.sleep(POLL_S)
    stored = _stored(url)
    caught_up = stored >= expected
    # Then the rest (bounded), so the next rate starts from an empty pipeline.
    drain_deadline = time.time() + 120
    while stored < expected and time.time() < drain_deadline:
        time.sleep(1.0)
        stored = _stored(url)
    poller.stop()
    published_share = sent.readings / max(sum(item.readings for item in items), 1)
    return RateResult(
        offered=sent.readings / max(sent.acked - sent.began, 1e-9),
        seen=len(poller.latencies),
        traced=round(traced * published_share),
        p50=percentile(poller.latencies, 50),
        p99=percentile(poller.latencies, 99),
        caught_up=caught_up,
        cpu={name: used / window for name, used in cpu.items()},
        load=(load_before, load_after),
    )


def _children_cpu() -> float:
    """CPU of this process's finished children: the publisher processes, once joined."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rows(
    rate: int, r: RateResult, gateways: int, workers: int, seconds: float, devices: int
) -> list[Row]:
    case = f"offered {rate}/s"
    before, after = r.load
    note = (
        f"{seconds:.0f} s from {devices} devices, {gateways} gateway(s), {workers} worker(s); "
        f"load {' '.join(f'{x:.1f}' for x in before)} -> {' '.join(f'{x:.1f}' for x in after)}"
    )
    rows = [
        Row(case, "publishers' rate", r.offered, "1/s", note),
        Row(
            case,
            "sustained",
            1.0 if r.sustained else 0.0,
            "bool",
            f"all stored within {LAG_BOUND_S:.0f} s of the last publish: {r.caught_up}; "
            f"tracer rows seen {r.seen}/{r.traced}",
        ),
        Row(case, "p50 publish->row", r.p50, "s", f"tracer rows polled every {POLL_S} s"),
        Row(case, "p99 publish->row", r.p99, "s"),
    ]
    rows += [
        Row(case, f"CPU {name}", 100 * share, "% of a core")
        for name, share in sorted(r.cpu.items())
    ]
    return rows


def _pids(bench: BenchStack) -> dict[str, int]:
    found = {}
    for service in services.table(bench.cfg):
        pid = service.pid(bench.cfg)
        if pid is not None:
            found[service.name] = pid
    return found


def _stored(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM readings").fetchone()
    return int(row[0]) if row else 0


class _Poller:
    """Looks for the tracer devices' new rows every POLL_S: first sight - ts = latency."""

    def __init__(self, url: str, devices: list[str]) -> None:
        self.url = url
        self.devices = devices
        self.latencies: list[float] = []
        self._seen: set[tuple[str, int]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._since = datetime.now(UTC)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(POLL_S):
                rows = conn.execute(
                    "SELECT device_id, seq, ts FROM readings"
                    " WHERE device_id = ANY(%s) AND ts >= %s",
                    (self.devices, self._since),
                ).fetchall()
                now = time.time()
                for device, seq, ts in rows:
                    if (device, seq) not in self._seen:
                        self._seen.add((device, seq))
                        self.latencies.append(now - ts.timestamp())
