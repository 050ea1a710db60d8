"""`./run bench recovery`: the blind spot after a kill -9 of each of `./run up`'s processes,
restarted by its supervisor, under a steady load (issue 21).

A second stack (bench.recovery.stack) runs the supervised processes; a fleet publishes over
MQTT (HW_BENCH_RECOVERY_DEVICES devices, one reading each every 4 s, and
HW_BENCH_RECOVERY_LEAKS new leaks a second); each process is killed HW_BENCH_RECOVERY_KILLS
times, and the blackout is the time from the kill to its first new effect: an alarm for a leak
that began after the kill (worker), a reading received after it forwarded (gateway), a row
stored (sinks), an event on a fresh live-feed connection (alerts). With 1 worker and with 2
(HW_BENCH_RECOVERY_WORKERS); HW_STREAMS_STATIC_MEMBERSHIP=false measures the session timeout
alone. HW_BENCH_RECOVERY_CASES picks the kinds (worker,gateway,sinks,alerts: all by default).
The workers have a warm standby, as `./run up` gives them by default (a fresh worker spends 2-8 s
importing on a loaded machine); HW_SUPERVISOR_STANDBY=alerts,sinks measures them without.

The baseline, in the same run (HW_BENCH_RECOVERY_BASELINE=0 skips it): the sinks and the alerts
API once more on a stack of their own as they were restarted before issue 21's second part, with
no warm standby (HW_SUPERVISOR_STANDBY=none) and dynamic sink group membership.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

import httpx
import yaml

from bench.harness import Row, median
from bench.recovery import blackout
from bench.recovery.load import Fleet, Watch
from bench.recovery.stack import BenchStack, second_stack
from deploy import services
from deploy.supervisor import state
from deploy.supervisor.policy import RestartPolicy

ENTERPRISE = "EBENCHRECOVERY"
PASSWORD = "bench-recovery-pw"
_SETTLE_S = 4.0  # after a process is back, before the next kill


def run(env: Mapping[str, str]) -> list[Row]:
    kills = int(env.get("HW_BENCH_RECOVERY_KILLS", "5"))
    # 150 readings/s plus the leaks': what one worker keeps up with on this shared machine at a
    # load average above 10 (about 180 readings/s measured there; 5,000 on a quiet machine).
    devices = int(env.get("HW_BENCH_RECOVERY_DEVICES", "600"))
    leaks = int(env.get("HW_BENCH_RECOVERY_LEAKS", "2"))
    cases = set(env.get("HW_BENCH_RECOVERY_CASES", ",".join(_CASES)).split(","))
    if env.get("HW_BENCH_RECOVERY_OTHERS", "1") == "0":  # the worker alone, as before
        cases &= {"worker"}
    rows: list[Row] = []
    counts = [int(n) for n in env.get("HW_BENCH_RECOVERY_WORKERS", "1,2").split(",")]
    for workers in counts:
        with second_stack(env, workers) as bench:
            rows += _measure(bench, workers, kills, devices, leaks, cases)
            cases -= {"gateway", "sinks", "alerts"}  # measured once, with 1 worker
    baseline = {"sinks", "alerts"} & set(env.get("HW_BENCH_RECOVERY_CASES", "sinks,alerts")
                                         .split(","))
    if env.get("HW_BENCH_RECOVERY_BASELINE", "1") != "0" and baseline:
        with second_stack(env, 1, _BASELINE) as bench:
            rows += _measure(bench, 1, kills, devices, leaks, baseline, " (baseline)")
    return rows


_CASES = ("worker", "gateway", "sinks", "alerts")
# A restart as before: no standby, a sink that waits for its dead self's session to expire.
_BASELINE = {"HW_SUPERVISOR_STANDBY": "none", "HW_SINK_STATIC_MEMBERSHIP": "false"}


def _measure(
    bench: BenchStack, workers: int, kills: int, devices: int, leaks: int, cases: set[str],
    label: str = "",
) -> list[Row]:
    ids = [f"gd-bench-{n:05d}" for n in range(devices)]
    registry = bench.cfg.root / "registry.yaml"
    registry.parent.mkdir(parents=True, exist_ok=True)
    registry.write_text(yaml.safe_dump({
        "enterprises": [{"id": ENTERPRISE, "name": "bench", "division": "330106001001",
                         "industry": "catering", "mqtt_password": PASSWORD}],
        "devices": [{"id": d, "enterprise": ENTERPRISE, "family": "gas", "type": "combustible",
                     "substance": "CH4", "location": "kitchen", "offline_after_s": 3600}
                    for d in ids],
    }))
    services.up(bench.cfg, echo=lambda _l: None, timeout=180, overrides=bench.overrides)
    bench.run("registry", "import", str(registry))
    token = bench.run("token", "--role", "admin").strip().splitlines()[-1]
    table = {s.name: s for s in services.table(bench.cfg)}
    watch = Watch(bench.cfg.kafka_bootstrap, bench.topics, readings="gateway" in cases)
    watch.start()
    fleet = Fleet(ENTERPRISE, PASSWORD, ids, bench.cfg.mqtt_port, leaks_per_s=leaks)
    fleet.start()
    time.sleep(10.0)  # the registry reaches the gateway and the worker; the load is steady
    load: list[float] = []
    first: list[float] = []
    every: list[float] = []
    results: dict[str, list[float]] = {"ingest-1": [], "sinks": [], "alerts": []}
    stalled = ""
    try:
        # The other processes first: a worker that never catches up ends the worker's series
        # (said in its note), not the whole run.
        for _ in range(kills if cases & {"gateway", "sinks", "alerts"} else 0):
            if "gateway" in cases:
                load.append(os.getloadavg()[0])
                results["ingest-1"].append(blackout.gateway(table["ingest-1"], bench.cfg, watch))
                _back(table["ingest-1"], bench)
            if "sinks" in cases:
                _standby_warm(table["sinks"], bench)
                load.append(os.getloadavg()[0])
                results["sinks"].append(blackout.sink(table["sinks"], bench.cfg,
                                                      bench.overrides["HW_DATABASE_URL"]))
                _back(table["sinks"], bench)
            if "alerts" in cases:
                _standby_warm(table["alerts"], bench)
                load.append(os.getloadavg()[0])
                results["alerts"].append(blackout.alerts(table["alerts"], bench.cfg, token))
                _back(table["alerts"], bench)
        for n in range(kills if "worker" in cases else 0):
            worker = table[f"streams-{n % workers + 1}"]
            _standby_warm(worker, bench)
            load.append(os.getloadavg()[0])
            try:
                one, all_ = blackout.worker(worker, bench.cfg, fleet, watch)
            except TimeoutError as exc:
                stalled = f"; kill {n + 1}: {exc}"
                break
            first.append(one)
            every.append(all_)
            _back(worker, bench)
            try:
                _caught_up([table[f"streams-{i}"] for i in range(1, workers + 1)], bench)
            except TimeoutError:
                stalled = f"; stopped after {n + 1} kills: the workers did not catch up in 180 s"
                break
    finally:
        fleet.stop()
        watch.stop()
    note = (f"{kills} kills; load avg {min(load):.1f}-{max(load):.1f}; {devices} devices, "
            f"{devices / fleet.period_s:.0f} readings/s + {leaks} leaks/s")
    case = f"{workers} worker{'s' if workers > 1 else ''}"
    if os.environ.get("HW_STREAMS_STATIC_MEMBERSHIP", "true").lower() in ("0", "false", "no"):
        case += ", no static membership"
    rows = []
    if stalled and not first:
        rows.append(Row(f"stream worker, {case}: kill -> first new alarm", "blackout max",
                        float("nan"), "s", note + stalled))
    if first:
        rows += _rows(f"stream worker, {case}: kill -> first new alarm", first, note + stalled)
        rows += _rows(f"stream worker, {case}: kill -> every leak of the next second", every,
                      note)
    labels = {"ingest-1": "gateway: kill -> next reading forwarded",
              "sinks": "sinks: kill -> next row stored",
              "alerts": "alerts: kill -> live feed event"}
    for name, values in results.items():
        if values:
            rows += _rows(labels[name] + label, values, note)
    return rows


def _rows(case: str, values: list[float], note: str) -> list[Row]:
    return [Row(case, "blackout p50", median(values), "s", note),
            Row(case, "blackout max", max(values), "s",
                "each: " + ", ".join(f"{v:.1f}" for v in values))]


def _caught_up(workers: list[services.Service], bench: BenchStack) -> None:
    """Each kill starts from the steady state: the restarted worker has worked off the backlog
    of its outage (on this loaded machine that takes longer than the outage itself)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        lags = []  # a restarted worker publishes its lag only after its first 5 s
        for worker in workers:
            text = httpx.get(f"http://127.0.0.1:{worker.port}/metrics", timeout=5).text
            lags += [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                     if line.startswith("hazardwatch_streams_consumer_lag_messages")
                     and bench.topics.readings in line]
        if len(lags) == len(workers) and sum(lags) < 200:
            return
        time.sleep(1.0)
    raise TimeoutError(f"the workers did not catch up; see {bench.cfg.logs}")


def _standby_warm(service: services.Service, bench: BenchStack) -> None:
    """The steady state of a process with a warm standby includes the standby: made a few
    seconds after the last restart, it needs as long again to import on this loaded machine."""
    if not RestartPolicy.from_env(bench.env).wants_standby(service.name):
        return
    deadline = time.monotonic() + 120
    while state.STANDBY_WARM not in getattr(state.read(bench.cfg).get(service.name), "detail", ""):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{service.name} has no warm standby; see {bench.cfg.logs}")
        time.sleep(0.2)


def _back(service: services.Service, bench: BenchStack) -> None:
    deadline = time.monotonic() + 120
    while not service.ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{service.name} did not come back; see {bench.cfg.logs}")
        time.sleep(0.2)
    time.sleep(_SETTLE_S)
