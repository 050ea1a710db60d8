"""`./run bench streams`: detection throughput (pure, one worker, two) and offline delays.

Bounded for a shared 2-core machine: seconds per case, not minutes, unless the environment
asks for more devices.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench.harness import Row
from bench.streams.pure import throughput
from bench.streams.worker import offline_delays, worker_throughput


def run(env: Mapping[str, str]) -> list[Row]:
    # HW_BENCH_STREAMS_DEVICES / _OFFLINE_DEVICES raise the worker cases (100,000 takes minutes).
    devices = int(env.get("HW_BENCH_STREAMS_DEVICES", "10000"))
    offline = int(env.get("HW_BENCH_STREAMS_OFFLINE_DEVICES", "2000"))
    rows = [throughput(10_000, 3), throughput(100_000, 1)]
    rows.append(worker_throughput(env, 1, devices, 3))
    rows.append(worker_throughput(env, 2, devices, 3))
    rows.extend(offline_delays(env, offline, 10.0))
    # The same silences spread over 100 s (≈ offline devices / 100 deadlines a second).
    rows.extend(offline_delays(env, offline, 10.0, spread_s=100))
    return rows
