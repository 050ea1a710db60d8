"""What the console benchmarks share: a hazardwatch process started for the run, a logged-in
console client, and timing a page."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


@contextlib.contextmanager
def process(argv: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    """`python -m argv…` until the block ends, once its /readyz answers."""
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", *argv], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            time.sleep(0.3)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def log_in(client: httpx.Client, username: str, password: str) -> None:
    login = client.get("/console/login")
    csrf = login.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"username": username, "password": password, "csrf_token": csrf, "next": "/"}
    done = client.post("/console/login", data=form)
    if done.status_code not in (200, 303):
        raise RuntimeError(f"bench login failed: {done.status_code}")


def timings(client: httpx.Client, path: str, n: int, must_contain: str = "") -> list[float]:
    """Wall time of `n` sequential GETs of `path`, each checked to be a 200 (with
    `must_contain` in its body, so an empty page is never timed as a fast one)."""
    out = []
    for _ in range(n):
        began = time.perf_counter()
        response = client.get(path)
        out.append(time.perf_counter() - began)
        if response.status_code != 200 or must_contain not in response.text:
            raise RuntimeError(f"{path}: {response.status_code}, {must_contain!r} missing")
    return out
