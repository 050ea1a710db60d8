"""The vendors' own tools, from npm: the official AsyncAPI parser and ajv (tests/contracts/js).

The npm project is installed with `npm ci` (exactly the committed lock file) the first time,
and again whenever the lock file changes; a stamp in node_modules records which lock it holds.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

JS = Path(__file__).parent / "js"
_STAMP = JS / "node_modules" / ".hazardwatch-lock.sha256"


@dataclass(frozen=True)
class Verdict:
    status: int
    report: dict[str, Any]

    @property
    def asyncapi_problems(self) -> list[dict[str, Any]]:
        """Errors (severity 0) and warnings (1); information and hints are style advice."""
        return [d for d in self.report["asyncapi"] if d["severity"] <= 1]

    @property
    def schema_problems(self) -> dict[str, str]:
        return {name: error for name, error in self.report["schemas"].items() if error}


def _install() -> None:
    # Parallel test workers install once: the second waits for the first and finds the stamp.
    with (JS / ".install.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        _install_locked()


def _install_locked() -> None:
    lock = hashlib.sha256((JS / "package-lock.json").read_bytes()).hexdigest()
    if _STAMP.exists() and _STAMP.read_text() == lock:
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is missing: the contract checks need node and npm (Debian: nodejs npm)")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=JS,
        check=True,
        capture_output=True,
        timeout=300,
    )
    _STAMP.write_text(lock)


@pytest.fixture(scope="session")
def js_tools() -> Path:
    """tests/contracts/js with its node_modules installed."""
    _install()
    return JS


@pytest.fixture(scope="session")
def contract_check(js_tools: Path) -> Callable[[Path], Verdict]:
    """`contract_check(dir) -> Verdict` of tests/contracts/js/check.mjs on an export dir."""

    def check(folder: Path) -> Verdict:
        done = subprocess.run(
            ["node", str(js_tools / "check.mjs"), str(folder)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if not done.stdout.strip():
            raise AssertionError(f"check.mjs gave no report ({done.returncode}):\n{done.stderr}")
        return Verdict(done.returncode, json.loads(done.stdout))

    return check
