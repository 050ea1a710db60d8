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
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import yaml
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from bench.harness import Row, median, percentile
from bench.ingest.profile import sampled
from schemas.events import AlarmRaised, DeviceWentOffline, parse_event
from streams.settings import StreamsSettings
from streams.topology import Topology, ensure_topics


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Running:
    ports: list[int]
    pids: list[int]
    log: Path


WORKER = ("-m", "streams", "worker")
BARE = ("-m", "bench.streams.bare")


@contextlib.contextmanager
def workers(
    env: Mapping[str, str],
    count: int,
    extra: Mapping[str, str],
    command: tuple[str, ...] = WORKER,
    tree: Path | None = None,
) -> Iterator[Running]:
    """`count` workers of one app; yields their HTTP ports and pids once all are ready.
    `tree`: run the code of that source tree instead (a baseline: `git archive` of a commit)."""
    procs: list[subprocess.Popen[bytes]] = []
    ports: list[int] = []
    log = Path(tempfile.gettempdir()) / f"bench-streams-{uuid.uuid4().hex[:6]}.log"
    try:
        for instance in range(1, count + 1):
            port = _port()
            child = {**os.environ, **env, **extra, "HW_STREAMS_HTTP_PORT": str(port)}
            if tree is not None:
                child["PYTHONPATH"] = str(tree)
            with log.open("ab") as out:
                args = [*command, "--instance", str(instance)] if command == WORKER else command
                # `-m` puts the working directory first on the path: a baseline runs from its tree.
                procs.append(subprocess.Popen(
                    [sys.executable, *args], cwd=None if tree is None else str(tree),
                    env=child, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
            ports.append(port)
        deadline = time.monotonic() + 120
        while not all(_ready(p) for p in ports):
            if time.monotonic() > deadline:
                raise TimeoutError(f"workers not ready; see {log}")
            time.sleep(0.5)
        yield Running(ports, [p.pid for p in procs], log)
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                # A worker whose topics were deleted under it can hang in its shutdown; left
                # running it would eat the next case's CPU.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


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
    ensure_topics(settings.kafka, topology)
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


def _decoded(ports: list[int]) -> float:
    return float(sum(
        httpx.get(f"http://127.0.0.1:{port}/count", timeout=5).json()["decoded"] for port in ports
    ))


def drain_rate(
    env: Mapping[str, str],
    count: int,
    devices: int,
    rounds: int,
    bare: bool = False,
    profile_dir: Path | None = None,
    tree: Path | None = None,
) -> float:
    """readings/s from ready to the last reading of a backlog of `devices` x `rounds`, by
    `count` workers (or bare decoding agents); py-spy profiles into `profile_dir` if given."""
    command, done_of = (BARE, _decoded) if bare else (WORKER, _processed)
    with isolated(env) as (scoped, topology):
        total = produce_readings(env["HW_KAFKA_BOOTSTRAP"], topology.readings, devices, rounds)
        extra = {"HW_STREAMS_REGISTRY": "none"}
        with workers(scoped, count, extra, command, tree) as running:
            kind = "bare" if bare else "baseline" if tree else "worker"
            name = f"{kind}-{count}x-{devices}"
            with sampled(running.pids, profile_dir, name):
                began, done = time.monotonic(), 0.0
                deadline = began + 300
                while done < total and time.monotonic() < deadline:
                    time.sleep(0.25)
                    done = done_of(running.ports)
                elapsed = time.monotonic() - began
    if done < total:
        raise TimeoutError(f"{done:.0f}/{total} readings in 300 s; see {running.log}")
    return done / elapsed


def worker_throughput(
    env: Mapping[str, str], count: int, devices: int, rounds: int, repeats: int = 3,
    profile_dir: Path | None = None, baseline: Path | None = None,
) -> list[Row]:
    """The worker's drain rate and, interleaved in the same run, a bare faust agent's on the
    same kind of backlog (and a baseline tree's worker, if given): medians of `repeats`, with
    the ratios between them."""
    ours, ceiling, before = [], [], []
    loads = []
    for _ in range(repeats):
        loads.append(_loadavg())
        ceiling.append(drain_rate(env, count, devices, rounds, bare=True))
        if baseline is not None:
            before.append(drain_rate(env, count, devices, rounds, tree=baseline))
        ours.append(drain_rate(env, count, devices, rounds, profile_dir=profile_dir))
    case = f"{count} worker(s), {devices:,} devices, {devices * rounds:,} readings"
    note = (f"median of {repeats}, backlog from ready to last reading; load at each repeat "
            f"{' / '.join(loads)}")

    def runs(values: list[float]) -> str:
        return f"{note}; runs {', '.join(f'{r:,.0f}' for r in values)}"

    rows = [
        Row(case, "readings/s", round(median(ours)), "1/s", runs(ours)),
        Row(case + " (bare faust agent, decode only)", "readings/s", round(median(ceiling)),
            "1/s", runs(ceiling)),
        Row(case, "worker / bare faust", round(median(ours) / median(ceiling), 3), "1",
            "ratio of the medians above"),
    ]
    if before and baseline is not None:
        rows += [
            Row(case + f" (baseline {baseline.name})", "readings/s", round(median(before)),
                "1/s", runs(before)),
            Row(case, "worker / baseline", round(median(ours) / median(before), 3), "1",
                "ratio of the medians above"),
        ]
    return rows


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class _Probe:
    """Polls a worker's /readyz once a second while a case runs (issue 16 item 6: a worker
    whose timers stop must say so), and reads its loop stop counter at the end."""

    def __init__(self, port: int) -> None:
        self.port, self.polls, self.failures = port, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Probe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.polls += 1
            if not _ready(self.port):
                self.failures += 1

    def stops(self) -> float:
        text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5).text
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("hazardwatch_streams_loop_stops_total{"))

    def note(self) -> str:
        return f"/readyz failed {self.failures}/{self.polls} polls, loop stops {self.stops():g}"


def offline_delays(
    env: Mapping[str, str],
    devices: int,
    offline_after_s: float,
    spread_s: int = 0,
    site_size: int = 1,
) -> list[Row]:
    """Delay from each offline deadline to the alarm's arrival on hw.alarm-events.v1.

    All devices report once, then fall silent. With `spread_s` 0 every deadline is the same
    instant (a county-wide outage); otherwise device i waits `offline_after_s + i % spread_s`,
    so the deadlines come evenly over `spread_s` seconds, as silences do in a normal day.
    With `site_size` > 1 the devices are grouped into sites of that many: an outage is then
    the site alarms' delays (deadline = their occurred_at, the last sighting, plus
    offline_after_s), and every device alarm must be inhibited by its site's."""
    with isolated(env) as (scoped, topology), tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "registry.yaml"
        registry.write_text(yaml.safe_dump({"devices": [
            {"id": f"bench-{i}", "enterprise": f"E{i // site_size if site_size > 1 else i}",
             "family": "gas",
             "offline_after_s": offline_after_s + (i % spread_s if spread_s else 0)}
            for i in range(devices)]}))
        extra = {"HW_STREAMS_REGISTRY": "file", "HW_STREAMS_REGISTRY_FILE": str(registry)}
        consumer = KafkaConsumer(topology.events, bootstrap_servers=env["HW_KAFKA_BOOTSTRAP"],
                                 auto_offset_reset="earliest", group_id=None)
        sites = devices // site_size if site_size > 1 else 0
        delays: list[float] = []
        went: list[float] = []  # DeviceWentOffline: the first step, before any alarm
        device_alarms = routed = 0
        with workers(scoped, 1, extra) as running, _Probe(running.ports[0]) as probe:
            began = time.monotonic()
            _produce_site_readings(env["HW_KAFKA_BOOTSTRAP"], topology.readings, devices,
                                   site_size)
            produced_s = time.monotonic() - began
            wanted = sites or devices
            deadline = time.monotonic() + offline_after_s + spread_s + max(60.0, devices / 200)
            while (len(delays) < wanted or (sites and device_alarms < devices)) and (
                time.monotonic() < deadline
            ):
                for records in consumer.poll(timeout_ms=500).values():
                    arrived = datetime.now(UTC)
                    for record in records:
                        event = parse_event(record.value)
                        if isinstance(event, DeviceWentOffline):
                            went.append((arrived - event.occurred_at).total_seconds())
                        if not isinstance(event, AlarmRaised):
                            continue
                        if event.condition == "site_offline":
                            due = event.occurred_at + timedelta(seconds=offline_after_s)
                            delays.append((arrived - due).total_seconds())
                        elif event.condition == "offline":
                            device_alarms += 1
                            routed += event.suppressed_window is None
                            if not sites:
                                delays.append((arrived - event.occurred_at).total_seconds())
            liveness = probe.note()
        consumer.close()
    what = "site alarms" if sites else "offline detection"
    case = f"{what}, {devices:,} devices, offline_after_s={offline_after_s:g}"
    if spread_s:
        case += f"+0..{spread_s - 1} (deadlines over {spread_s} s, {devices / spread_s:,.0f}/s)"
    else:
        case += " (one deadline for all)"
    if sites:
        case += f", {sites:,} sites of {site_size}"
    linger = os.environ.get(
        "HW_STREAMS_PRODUCER_LINGER_MS", str(StreamsSettings().streams_producer_linger_ms)
    )
    note = (f"{len(delays)}/{sites or devices} detected; readings produced in {produced_s:.0f} s;"
            f" timer 1 s, linger {linger} ms; {liveness}; load {_loadavg()}")
    rows = [
        Row(case, "p50 delay after deadline", round(median(delays), 3), "s", note),
        Row(case, "p95 delay after deadline", round(percentile(delays, 95), 3), "s", note),
        Row(case, "max delay after deadline", round(max(delays, default=float("nan")), 3), "s",
            note),
    ]
    if sites:
        rows += [
            Row(case, "p50 DeviceWentOffline after deadline", round(median(went), 3), "s",
                f"{len(went)}/{devices} devices"),
            Row(case, "p95 DeviceWentOffline after deadline", round(percentile(went, 95), 3),
                "s", f"{len(went)}/{devices} devices"),
            Row(case, "device alarms not inhibited by their site alarm", routed, "alarms",
                f"of {device_alarms:,} device offline alarms raised"),
        ]
    return rows


def _produce_site_readings(bootstrap: str, topic: str, devices: int, site_size: int) -> None:
    """One reading per device, as `produce_readings`, with the registry's enterprises."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, batch_size=256 * 1024)
    now = datetime.now(UTC).isoformat()
    for index in range(devices):
        device = f"bench-{index}"
        enterprise = f"E{index // site_size if site_size > 1 else index}"
        producer.send(topic, key=device.encode(), value=json.dumps({
            "device_id": device, "enterprise_id": enterprise, "family": "gas",
            "division": "330106001001", "channel": "telemetry", "ts": now,
            "seq": 1, "received_at": now, "gateway_id": None,
            "payload": {"concentration": 2.0},
        }).encode())
    producer.flush()
    producer.close()
