"""What every benchmark returns, and how results are written and shown.

A benchmark is a module `bench/<name>/run.py` with `run(env: Mapping[str, str]) -> list[Row]`,
where `env` holds the stack's HW_* endpoints. `./run bench [NAME]` calls it, writes the rows to
`bench/results/<name>.json` (with machine facts, so numbers can be compared across commits) and
prints them as a table. Medians, not means: single outliers on a shared 2-core machine are common.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Row:
    case: str  # what was measured, e.g. "1 gateway, batches of 100"
    metric: str  # e.g. "readings/s", "p99 latency"
    value: float
    unit: str  # base units: "1/s", "s", "rows/s", "%"
    note: str = ""


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return float(ordered[rank])


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write(name: str, rows: Iterable[Row]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    document = {
        "benchmark": name,
        "commit": _commit(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "rows": [asdict(r) for r in rows],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return path


def table(rows: Sequence[Row]) -> str:
    header = ("case", "metric", "value", "unit", "note")
    cells = [header] + [
        (r.case, r.metric, f"{r.value:,.3f}".rstrip("0").rstrip("."), r.unit, r.note) for r in rows
    ]
    widths = [max(len(str(c[i])) for c in cells) for i in range(len(header))]
    lines = [" | ".join(str(c[i]).ljust(widths[i]) for i in range(len(header))) for c in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
