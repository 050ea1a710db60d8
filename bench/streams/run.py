"""`./run bench streams`: detection throughput (pure, one worker, two) and offline delays.

Bounded for a shared 2-core machine: seconds per case, not minutes. The 100,000-device cases
run the pure path only; through Kafka they would mostly measure the laptop.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench.harness import Row
from bench.streams.pure import throughput
from bench.streams.worker import offline_delays, worker_throughput


def run(env: Mapping[str, str]) -> list[Row]:
    rows = [throughput(10_000, 3), throughput(100_000, 1)]
    rows.append(worker_throughput(env, 1, 10_000, 3))
    rows.append(worker_throughput(env, 2, 10_000, 3))
    rows.extend(offline_delays(env, 2_000, 10.0))
    return rows
