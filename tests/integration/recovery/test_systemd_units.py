"""The systemd units of deploy/systemd pass `systemd-analyze verify` as installed at this
checkout (their /opt/hazardwatch replaced by it), without a warning, and every service restarts
on any exit, reads the environment file and belongs to hazardwatch.target."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from deploy.stack.config import REPO_ROOT

UNITS = REPO_ROOT / "deploy" / "systemd"
# Template units are verified through an instance.
VERIFY = ["hazardwatch.target", "hazardwatch-ingest@1.service", "hazardwatch-streams@2.service",
          "hazardwatch-sinks.service", "hazardwatch-alerts.service"]


def _systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None and os.geteuid() == 0:
        # Debian's systemd package (not in deploy/stack/packages.py: only this test needs it).
        apt = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "-y", "-q"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([*apt, "update"], env=env, check=True, capture_output=True)
        subprocess.run([*apt, "install", "--no-install-recommends", "systemd"], env=env,
                       check=True, capture_output=True)
        found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze is missing and installing the systemd package needs root")
    return found


def test_every_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    for unit in UNITS.glob("hazardwatch*.*"):
        if unit.suffix in (".service", ".target"):
            text = unit.read_text().replace("/opt/hazardwatch", str(REPO_ROOT))
            (tmp_path / unit.name).write_text(text)
    result = subprocess.run(
        [analyze, "verify", "--man=no", *VERIFY], cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "SYSTEMD_UNIT_PATH": f"{tmp_path}:"}, check=False, timeout=60,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_every_service_restarts_always_with_the_environment_file_under_the_target() -> None:
    services = sorted(UNITS.glob("*.service"))
    assert [s.name for s in services] == [
        "hazardwatch-alerts.service", "hazardwatch-ingest@.service", "hazardwatch-sinks.service",
        "hazardwatch-streams@.service"]
    for service in services:
        lines = set(service.read_text().splitlines())
        assert {"Restart=always", "EnvironmentFile=/etc/hazardwatch/hazardwatch.env",
                "PartOf=hazardwatch.target", "WantedBy=hazardwatch.target"} <= lines, service


def test_every_long_running_compose_service_comes_back_unless_stopped() -> None:
    import yaml

    compose = yaml.safe_load((REPO_ROOT / "deploy" / "compose.yaml").read_text())["services"]
    policies = {name: spec.get("restart") for name, spec in compose.items()}
    assert policies.pop("kafka-topics") == "no"  # one-shot: creates the topics and exits
    assert set(policies.values()) == {"unless-stopped"}
