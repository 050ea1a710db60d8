"""The metric table of docs/internals.md ("Metric names"): process -> metric -> label names."""

from __future__ import annotations

import re
from pathlib import Path

INTERNALS = Path(__file__).resolve().parents[3] / "docs" / "internals.md"
_ROW = re.compile(r"^\|\s*(ingest|streams|sinks|alerts)\s*\|(.+?)\|(.+?)\|\s*$")
_NAME = re.compile(r"`(hazardwatch_[a-z_]+)`")
_ASIDE = re.compile(r"\([^)]*\)")


def documented() -> dict[str, dict[str, frozenset[str]]]:
    table: dict[str, dict[str, frozenset[str]]] = {}
    for line in INTERNALS.read_text().splitlines():
        if not (row := _ROW.match(line)):
            continue
        process, metrics, labels = row.groups()
        names = {label.strip() for label in _ASIDE.sub("", labels).split(",")} - {"—", ""}
        for metric in _NAME.findall(metrics):
            table.setdefault(process, {})[metric] = frozenset(names)
    return table


def family_names(metric: str) -> tuple[str, str]:
    """The names prometheus_client's parser may give its family: a counter loses `_total`, a
    gauge such as hazardwatch_devices_total keeps it."""
    return metric, metric.removesuffix("_total")
