"""A throwaway Prometheus for one test: its own directory, a free port, a short scrape interval,
and rule files derived from deploy/prometheus with shorter windows (never copied by hand)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from tests.support.processes import free_port

PROMETHEUS = shutil.which("prometheus")
T = TypeVar("T")


def rule_variant(
    source: Path, group_interval: str, alert_for: Mapping[str, str] | None = None
) -> str:
    """`source` with every group evaluated every `group_interval` and the `for:` of the alerts
    named in `alert_for` replaced; expressions and thresholds stay those of production."""
    document = yaml.safe_load(source.read_text())
    for group in document["groups"]:
        group["interval"] = group_interval
        for rule in group["rules"]:
            if alert_for and rule.get("alert") in alert_for:
                rule["for"] = alert_for[rule["alert"]]
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def wait_for(probe: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll `probe` until it returns something other than None (or False), with a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not seen after {timeout:.0f} s")
        time.sleep(0.5)


@dataclass
class LocalPrometheus:
    root: Path
    jobs: Mapping[str, Sequence[str]]
    rule_files: Sequence[Path] = ()
    interval: str = "1s"
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> str:
        document: dict[str, Any] = {
            "global": {"scrape_interval": self.interval, "evaluation_interval": self.interval},
            "rule_files": [str(path) for path in self.rule_files],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": list(targets)}]}
                for job, targets in self.jobs.items()
            ],
        }
        return yaml.safe_dump(document, sort_keys=False)

    def start(self, timeout: float = 60.0) -> LocalPrometheus:
        if PROMETHEUS is None:
            raise FileNotFoundError("prometheus")
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "prometheus.yml"
        config.write_text(self.config())
        with (self.root / "prometheus.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    PROMETHEUS,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={self.root / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._ready, timeout, f"Prometheus on {self.url} ready")
        return self

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"prometheus exited {self.proc.returncode}:\n{self.log_tail()}")
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(FileNotFoundError):
            return "\n".join((self.root / "prometheus.log").read_text().splitlines()[-lines:])
        return "(no log)"

    def _api(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10.0)
        body = response.json()
        if body.get("status") != "success":
            raise PromQLError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector (or scalar, as one sample) `expr` gives now."""
        data = self._api("query", {"query": expr})
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        result: list[dict[str, Any]] = data["result"]
        return result

    def label_values(self, label: str, match: str) -> list[str]:
        values: list[str] = self._api(f"label/{label}/values", {"match[]": match})
        return values

    def rules(self) -> list[dict[str, Any]]:
        """Every loaded rule, with its group name under "group"."""
        groups = self._api("rules")["groups"]
        return [{**rule, "group": group["name"]} for group in groups for rule in group["rules"]]

    def alerts(self) -> list[dict[str, Any]]:
        alerts: list[dict[str, Any]] = self._api("alerts")["alerts"]
        return alerts


class PromQLError(Exception):
    """Prometheus refused a query (parse or execution error)."""
