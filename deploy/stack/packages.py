"""Debian packages the stack needs, installed on demand when running as root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from deploy.stack.errors import MissingPackages, StackError

# executable that proves the package is there -> Debian package providing it
REQUIREMENTS: dict[str, tuple[str, str]] = {
    "mosquitto": ("/usr/sbin/mosquitto", "mosquitto"),
    "mosquitto_passwd": ("/usr/bin/mosquitto_passwd", "mosquitto"),
    # docs/vendors.md's examples are mosquitto_pub commands, and a test runs each of them.
    "mosquitto_pub": ("/usr/bin/mosquitto_pub", "mosquitto-clients"),
    "postgres": ("/usr/lib/postgresql/15/bin/postgres", "postgresql-15"),
    "java": ("/usr/bin/java", "openjdk-17-jre-headless"),
    "mvn": ("/usr/bin/mvn", "maven"),
    "prometheus": ("/usr/bin/prometheus", "prometheus"),
    "promtool": ("/usr/bin/promtool", "prometheus"),
    # The console's browser tests drive Debian's Chromium (never a browser download).
    "chromium": ("/usr/bin/chromium", "chromium"),
    # A Chinese font, so the console's screenshots (and any test that reads pixels) show text.
    "cjk-font": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "fonts-wqy-zenhei"),
}

_updated = False


def missing(names: Iterable[str]) -> list[str]:
    packages: list[str] = []
    for name in names:
        path, package = REQUIREMENTS[name]
        if not Path(path).exists() and shutil.which(name) is None and package not in packages:
            packages.append(package)
    return packages


def ensure(names: Iterable[str]) -> None:
    """Install what is missing (root only: `apt-get update` once, then install)."""
    global _updated
    packages = missing(names)
    if not packages:
        return
    if os.geteuid() != 0:
        raise MissingPackages(packages)
    print(f"stack: installing Debian packages: {' '.join(packages)}", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "-y", "-q"]
    try:
        if not _updated:
            subprocess.run([*apt, "update"], check=True, env=env, stdout=subprocess.DEVNULL)
            _updated = True
        subprocess.run(
            [*apt, "install", "--no-install-recommends", *packages],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
    except subprocess.CalledProcessError as exc:
        raise StackError(
            f"apt-get failed ({exc.returncode}) installing {' '.join(packages)}"
        ) from exc
    _stop_distro_services(packages)


def _stop_distro_services(packages: list[str]) -> None:
    """Debian starts mosquitto/prometheus/postgresql system services on install; ours run on other
    ports from .stack, so the distribution's copies are stopped to free memory and ports."""
    for unit in ("mosquitto", "prometheus", "prometheus-node-exporter"):
        if any(unit.startswith(p) for p in packages):
            subprocess.run(["service", unit, "stop"], capture_output=True, check=False)
