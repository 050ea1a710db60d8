"""One kill -9 and the time to the first new effect of the killed kind of process."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import httpx
import psycopg

from bench.recovery.load import Fleet, Watch
from deploy.services import Service
from deploy.stack.config import StackConfig

TIMEOUT_S = 90.0


def kill(service: Service, cfg: StackConfig) -> float:
    pid = service.pid(cfg)
    if pid is None:
        raise RuntimeError(f"{service.name} is not running")
    os.kill(pid, signal.SIGKILL)
    return time.time()


def _until(check: Callable[[], float | None], what: str) -> float:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.05)
    raise TimeoutError(f"no {what} within {TIMEOUT_S:.0f} s of the kill")


def worker(service: Service, cfg: StackConfig, fleet: Fleet, watch: Watch) -> tuple[float, float]:
    """(first alarm for a leak begun after the kill, last alarm of the leaks begun in the
    second after it) - kill time. With two workers the first may come from the survivor; the
    second (about `leaks_per_s` leaks spread over the partitions) waits for the killed one."""
    killed = kill(service, cfg)

    def leaks(until: float) -> list[str]:
        return [d for d, at in list(fleet.leak_started.items()) if killed <= at < until]

    def first() -> float | None:
        times = [watch.raised[d] for d in leaks(float("inf")) if d in watch.raised]
        return min(times) - killed if times else None

    def all_of_first_second() -> float | None:
        if time.time() < killed + 1.0:
            return None
        wanted = leaks(killed + 1.0)
        if not wanted or any(d not in watch.raised for d in wanted):
            return None
        return max(watch.raised[d] for d in wanted) - killed

    return _until(first, "alarm"), _until(all_of_first_second, "alarm for every leak")


def gateway(service: Service, cfg: StackConfig, watch: Watch) -> float:
    """Kill -> the first reading forwarded that a gateway received after the kill."""
    killed = kill(service, cfg)

    def first() -> float | None:
        after = [arrived for arrived, received in list(watch.forwarded) if received > killed]
        return min(after) - killed if after else None

    return _until(first, "reading forwarded")


def sink(service: Service, cfg: StackConfig, database_url: str) -> float:
    """Kill -> the first reading row stored after it."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        killed = kill(service, cfg)
        time.sleep(0.05)  # a commit under way at the kill lands now or never
        row = conn.execute("SELECT count(*) FROM readings").fetchone()
        before = row[0] if row else 0

        def grew() -> float | None:
            now = conn.execute("SELECT count(*) FROM readings").fetchone()
            return time.time() - killed if now and now[0] > before else None

        return _until(grew, "row stored")


def alerts(service: Service, cfg: StackConfig, token: str) -> float:
    """Kill -> the first alarm event delivered on a fresh live-feed connection."""
    killed = kill(service, cfg)
    url = f"http://127.0.0.1:{cfg.api_port}/api/v1/stream"
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with httpx.stream("GET", url, headers={"Authorization": f"Bearer {token}"},
                              timeout=httpx.Timeout(5.0, read=10.0)) as response:
                if response.status_code != 200:
                    time.sleep(0.1)
                    continue
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        return time.time() - killed
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(f"no live feed within {TIMEOUT_S:.0f} s of the kill")
