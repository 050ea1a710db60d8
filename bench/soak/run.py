"""`./run bench soak`: the pipeline at half its sustained capacity for a long time: does any
process grow, does the lag?

A second stack of `./run up`'s supervised processes (bench/recovery/stack.py: own Mosquitto,
ports, topics and database; the main stack's Kafka and PostgreSQL), fed at a fixed rate by
publisher processes from a synthetic fleet of every family with heartbeats
(ingest/simulator/fleet.py). Every HW_BENCH_SOAK_SAMPLE_S the resident memory (RSS) of each
process and the backlog (readings the broker acknowledged but not yet stored) are sampled.
Rows: each process's RSS at start and end and its growth (the issue's bound: 10 %), the
backlog's median and maximum; the samples go to bench/results/soak-series.json, and to
bench/results/soak.png when matplotlib is installed.
Knobs: HW_BENCH_SOAK_SECONDS (300; the issue's soak is 1800), HW_BENCH_SOAK_RATE (125/s: half
of the 250/s the co-located pipeline sustained, bench/results/pipeline.json),
HW_BENCH_SOAK_DEVICES (2000), HW_BENCH_SOAK_SAMPLE_S (10).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from bench.harness import RESULTS, Row, median
from bench.ingest import publishers, setup
from bench.pipeline.run import _pids, _stored, _warm_up
from bench.recovery.stack import BenchStack, second_stack
from deploy import services
from ingest.simulator.fleet import Fleet
from storage.datastore import Datastore
from storage.registry import RegistryRepository


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


class Sampler:
    """RSS of each process and the backlog, every `period` seconds, in a thread."""

    def __init__(self, bench: BenchStack, url: str, rate: float, period: float) -> None:
        self.bench, self.url, self.rate, self.period = bench, url, rate, period
        self.samples: list[dict[str, object]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._began = time.monotonic()
        self._baseline = _stored(url)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            at = time.monotonic() - self._began
            pids = _pids(self.bench)  # read each time: a supervised restart changes the pid
            rss = {name: _rss_mb(pid) for name, pid in pids.items()}
            stored = _stored(self.url) - self._baseline
            # Offered so far at the fixed rate, less what is stored: the pipeline's backlog
            # (within a sample period of the truth, as the publishers run in open loop).
            self.samples.append({
                "t_s": round(at, 1), "stored": stored,
                "backlog": max(0, round(self.rate * at) - stored),
                "rss_mb": {k: round(v, 1) for k, v in rss.items() if v is not None},
                "pids": pids, "load": os.getloadavg()[0],
            })
            if self._stop.wait(self.period):
                return


def run(env: Mapping[str, str]) -> list[Row]:
    seconds = float(env.get("HW_BENCH_SOAK_SECONDS", "300"))
    rate = float(env.get("HW_BENCH_SOAK_RATE", "125"))
    devices = int(env.get("HW_BENCH_SOAK_DEVICES", "2000"))
    period = float(env.get("HW_BENCH_SOAK_SAMPLE_S", "10"))
    with second_stack(env, 1) as bench:
        fleet = Fleet.synthetic(f"S{uuid.uuid4().hex[:8]}", devices, 1.0)
        url = bench.overrides["HW_DATABASE_URL"]
        store = Datastore(url)
        try:
            RegistryRepository(store).replace_all(setup.registry_of(fleet), {})
        finally:
            store.close()
        services.up(bench.cfg, echo=lambda _l: None, timeout=180, overrides=bench.overrides)
        _warm_up(bench, fleet, url, 1)
        items = publishers.prepare(fleet, int(rate * seconds * 1.02))
        sampler = Sampler(bench, url, rate, period)
        load_before = os.getloadavg()
        sampler.start()
        unbounded = mp.get_context("fork").Value("q", 0, lock=False)
        sent = publishers.publish(items, bench.env, unbounded, seconds, 2, 10**12, rate=rate)
        sampler.stop()
        load_after = os.getloadavg()
    # Beside the rows' file (HW_BENCH_TAG names a sized run: soak-120s.json, say).
    name = f"soak-{env['HW_BENCH_TAG']}" if env.get("HW_BENCH_TAG") else "soak"
    return _rows(name, sampler.samples, sent.readings, seconds, rate, devices, load_before,
                 load_after)


def _rows(
    name: str, samples: list[dict[str, object]], sent: int, seconds: float, rate: float,
    devices: int, before: tuple[float, float, float], after: tuple[float, float, float],
) -> list[Row]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}-series.json").write_text(json.dumps(samples, indent=1))
    _plot(samples, RESULTS / f"{name}.png")
    note = (f"{seconds:.0f} s at {rate:.0f}/s from {devices} devices ({sent} published); load "
            f"{' '.join(f'{x:.1f}' for x in before)} -> {' '.join(f'{x:.1f}' for x in after)}")
    case = f"soak {seconds:.0f} s at {rate:.0f}/s"
    rows: list[Row] = []
    first, warm, last = (samples[i]["rss_mb"] for i in (0, len(samples) // 4, -1))
    assert isinstance(first, dict) and isinstance(warm, dict) and isinstance(last, dict)
    for process in sorted(set(first) & set(last)):
        start, end = float(first[process]), float(last[process])
        rows += [
            Row(case, f"RSS {process} start", start, "MiB", note if not rows else ""),
            Row(case, f"RSS {process} end", end, "MiB"),
            Row(case, f"RSS {process} growth", 100 * (end - start) / start, "%", "bound 10 %"),
        ]
        # A worker's tables fill as its devices first report: growth after that is a leak.
        if process in warm:
            settled = float(warm[process])
            rows.append(Row(case, f"RSS {process} growth after the first quarter",
                            100 * (end - settled) / settled, "%", "bound 10 %"))
    backlog = [float(str(s["backlog"])) for s in samples]
    rows += [
        Row(case, "backlog median", median(backlog), "readings",
            f"{len(samples)} samples; offered at the fixed rate less stored"),
        Row(case, "backlog max", max(backlog), "readings"),
        Row(case, "backlog last", backlog[-1], "readings"),
    ]
    return rows


def _plot(samples: list[dict[str, object]], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return  # the JSON series is the result; the picture is a convenience
    t = [float(str(s["t_s"])) for s in samples]
    fig, (lag, rss) = plt.subplots(2, 1, sharex=True, figsize=(8, 6))
    lag.plot(t, [float(str(s["backlog"])) for s in samples])
    lag.set_ylabel("backlog (readings)")
    names = sorted({n for s in samples for n in s["rss_mb"]})  # type: ignore[attr-defined]
    for process in names:
        rss.plot(t, [s["rss_mb"].get(process) for s in samples], label=process)  # type: ignore[attr-defined]
    rss.set_ylabel("RSS (MiB)")
    rss.set_xlabel("s")
    rss.legend(fontsize="small")
    fig.savefig(path, dpi=90)
