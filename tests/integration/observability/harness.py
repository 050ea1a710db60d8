"""The pieces of the live observability tests: the metric stand-in (exporter.py) in its own
process, and a throwaway Prometheus loading deploy/prometheus re-timed for seconds."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.observability.local_prometheus import (
    PROMETHEUS,
    LocalPrometheus,
    rule_variant,
    wait_for,
)
from tests.support.processes import free_port
from tests.unit.observability.promtool import RULE_FILES

REPO_ROOT = Path(__file__).resolve().parents[3]
JOBS = {
    "ingest": "hazardwatch-ingest",
    "streams": "hazardwatch-streams",
    "sinks": "hazardwatch-sinks",
    "alerts": "hazardwatch-alerts",
}


class Exporter:
    """exporter.py in its own process, one port per hazardwatch process it stands in for."""

    def __init__(self, log: Path, processes: tuple[str, ...]) -> None:
        self.ports = {name: free_port() for name in processes}
        args = [arg for name, port in self.ports.items() for arg in (f"--{name}", str(port))]
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.observability.exporter", *args],
                cwd=REPO_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._serving, 30.0, "exporter /metrics")

    def targets(self) -> dict[str, list[str]]:
        return {JOBS[name]: [f"127.0.0.1:{port}"] for name, port in self.ports.items()}

    def _serving(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"exporter exited {self.proc.returncode}")
        try:
            return all(
                httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1.0).status_code == 200
                for port in self.ports.values()
            )
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """kill -9: the process vanishes without a goodbye, as a crashed gateway does."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


@contextlib.contextmanager
def running_exporter(log: Path, *processes: str) -> Iterator[Exporter]:
    made = Exporter(log, processes or tuple(JOBS))
    try:
        yield made
    finally:
        made.kill()


@contextlib.contextmanager
def running_prometheus(
    root: Path, jobs: dict[str, list[str]], alert_for: dict[str, str] | None = None
) -> Iterator[LocalPrometheus]:
    """A started Prometheus evaluating every rule group each second, stopped on exit."""
    if PROMETHEUS is None:
        pytest.skip("the prometheus binary is absent (Debian package `prometheus`)")
    root.mkdir(parents=True, exist_ok=True)
    rule_files = []
    for source in RULE_FILES:
        variant = root / source.name
        variant.write_text(rule_variant(source, "1s", alert_for))
        rule_files.append(variant)
    prometheus = LocalPrometheus(root, jobs, rule_files)
    try:
        yield prometheus.start()
    finally:
        prometheus.stop()
