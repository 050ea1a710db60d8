"""A worker whose timer stops says so: /readyz fails and the stop is counted (issue 16 item 6).

The stuck timer is real, not simulated: the registry file is a named pipe, so the worker's
periodic registry read blocks inside the timer until someone writes to the pipe, as a read
from a hung network filesystem would.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import yaml

from tests.integration.streams.fixtures import StartWorker
from tests.integration.streams.harness import rid

_REGISTRY = yaml.safe_dump({"devices": [{"id": rid("gd-"), "enterprise": rid("E"),
                                         "family": "gas"}]})


def _feed(pipe: Path) -> threading.Thread:
    """Writes the registry into the pipe once a reader opens it."""

    def write() -> None:
        with pipe.open("w") as out:
            out.write(_REGISTRY)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


def _readyz(port: int) -> tuple[int, list[str]]:
    reply = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
    return reply.status_code, reply.json().get("stopped", [])


def _stops(port: int, loop: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    prefix = f'hazardwatch_streams_loop_stops_total{{loop="{loop}"}} '
    return next((float(line[len(prefix):]) for line in text.splitlines()
                 if line.startswith(prefix)), 0.0)


def _until(check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


def test_a_stuck_timer_makes_readyz_fail_and_is_counted_until_it_runs_again(
    start_worker: StartWorker, tmp_path: Path
) -> None:
    pipe = tmp_path / "registry.yaml"
    os.mkfifo(pipe)
    first = _feed(pipe)  # the read at start-up
    worker = start_worker(registry_file=pipe, app_env={
        "HW_STREAMS_REGISTRY_REFRESH_S": "0.5",
        "HW_STREAMS_LIVENESS_PERIODS": "2",
        # Short, yet long enough that a loaded machine's late timer runs do not count.
        "HW_STREAMS_LIVENESS_MIN_S": "8",
    })
    first.join(timeout=5)
    port = worker.port
    # The pipe changed (it was written) since its version was taken: the next refresh reads
    # it again and blocks, with no writer.
    _until(lambda: _readyz(port)[0] == 503 and "registry" in _readyz(port)[1], 40)
    assert _stops(port, "registry") == 1

    # Unblock the read, and make the next ones plain reads of a file.
    plain = tmp_path / "registry-plain.yaml"
    plain.write_text(_REGISTRY)
    _feed(pipe).join(timeout=10)
    os.replace(plain, pipe)
    _until(lambda: _readyz(port) == (200, []), 40)
    assert _stops(port, "registry") == 1  # one stop, counted once
