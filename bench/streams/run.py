"""`./run bench streams`: detection throughput (pure, one worker, two) and offline delays.

Bounded for a shared 2-core machine: seconds per case, not minutes, unless the environment
asks for more. Knobs (HW_BENCH_STREAMS_*):
- DEVICES (10,000), ROUNDS (3), REPEATS (3): the worker throughput cases; each repeat runs a
  bare faust agent (decode only) on the same backlog first, for the ratio to the ceiling;
- BASELINE=DIR: also the worker of that source tree (`git archive <commit> streams schemas
  | tar -x -C DIR`) in every repeat, for a before/after of the same run;
- PROFILE=DIR: py-spy profiles (collapsed stacks) of the workers under throughput load;
- OFFLINE_DEVICES (2,000), SITE_SIZE (20), DEADLINES_PER_S (1,000), SPREAD_REPEATS (1),
  OFFLINE_AFTER_S (at least 10 s, and enough for the worker to take in every device's reading
  before its deadline on a loaded machine: devices / 200 s).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bench.harness import Row
from bench.streams.pure import throughput
from bench.streams.worker import offline_delays, worker_throughput


def run(env: Mapping[str, str]) -> list[Row]:
    def knob(name: str, default: str) -> str:
        return env.get(f"HW_BENCH_STREAMS_{name}", default)

    devices, rounds = int(knob("DEVICES", "10000")), int(knob("ROUNDS", "3"))
    repeats = int(knob("REPEATS", "3"))
    baseline = Path(knob("BASELINE", "")) if knob("BASELINE", "") else None
    profile = Path(knob("PROFILE", "")) if knob("PROFILE", "") else None
    offline = int(knob("OFFLINE_DEVICES", "2000"))
    site_size = int(knob("SITE_SIZE", "20"))
    per_s = int(knob("DEADLINES_PER_S", "1000"))
    after_s = float(knob("OFFLINE_AFTER_S", str(max(10.0, offline / 200))))
    rows = [throughput(10_000, 3), throughput(100_000, 1)]
    rows += worker_throughput(env, 1, devices, rounds, repeats, profile, baseline)
    rows += worker_throughput(env, 2, devices, rounds, 1)
    # A county-wide outage: every site silent at once.
    rows += offline_delays(env, offline, after_s, site_size=site_size)
    # Silences spread evenly, `per_s` deadlines a second; repeated, it is also the case that
    # once left a worker silent (issue 16): each run polls /readyz throughout.
    for _ in range(int(knob("SPREAD_REPEATS", "1"))):
        rows += offline_delays(env, offline, after_s, spread_s=max(1, offline // per_s))
    return rows
