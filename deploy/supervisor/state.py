"""What the supervisor says about each process, in `.stack/run/supervisor.json`: written by the
supervisor on every change, read by `./run up` (to stop waiting on a crash loop) and by
`./run status`."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from deploy.stack.config import StackConfig

RUNNING = "running"
RESTARTING = "restarting"
CRASH_LOOP = "crash-loop"
STANDBY_WARM = "standby ready"  # in a running process's detail: a restart takes over at once


@dataclass(frozen=True)
class Supervised:
    state: str  # running | restarting | crash-loop
    pid: int | None
    restarts: int
    detail: str = ""

    def describe(self) -> str:
        if self.state == CRASH_LOOP:
            return f"CRASH LOOP: {self.detail}"
        restarts = f"{self.restarts} restart{'s' if self.restarts != 1 else ''}"
        return f"{self.state}, {restarts}" + (f"; {self.detail}" if self.detail else "")


def path(cfg: StackConfig) -> Path:
    return cfg.run / "supervisor.json"


def write(cfg: StackConfig, states: dict[str, Supervised]) -> None:
    target = path(cfg)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_suffix(".tmp")
    scratch.write_text(json.dumps({name: asdict(s) for name, s in states.items()}, indent=1))
    os.replace(scratch, target)  # a reader never sees half a file


def read(cfg: StackConfig) -> dict[str, Supervised]:
    try:
        raw = json.loads(path(cfg).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return {name: Supervised(**fields) for name, fields in raw.items()}


def clear(cfg: StackConfig) -> None:
    path(cfg).unlink(missing_ok=True)
