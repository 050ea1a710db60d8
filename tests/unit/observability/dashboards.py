"""The Grafana dashboards of deploy/grafana and the PromQL inside them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GRAFANA_DIR = Path(__file__).resolve().parents[3] / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA_DIR / "dashboards").glob("*.json"))
_VARIABLE = re.compile(r"\$\{?(\w+)\}?")
_LABEL_VALUES = re.compile(r"^label_values\((?:(.+),\s*)?(\w+)\)$")


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    expr: str

    def resolved(self, values: Mapping[str, str] | None = None) -> str:
        """The expression with every template variable replaced: by `values[name]` when
        given, else by `.*` (what "All" means for a multi-value variable)."""
        values = values or {}
        return _VARIABLE.sub(lambda m: values.get(m.group(1), ".*"), self.expr)


@dataclass(frozen=True)
class LabelValues:
    dashboard: str
    variable: str
    label: str
    match: str


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those folded inside rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def queries(path: Path) -> list[Query]:
    dashboard = load(path)
    return [
        Query(path.stem, panel["title"], target["expr"])
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def variables(path: Path) -> list[LabelValues]:
    """The `label_values(match, label)` template variables, with `match` resolved to `.*`."""
    found = []
    for variable in load(path).get("templating", {}).get("list", []):
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else str(query or "")
        if match := _LABEL_VALUES.match(text.strip()):
            selector = Query(path.stem, variable["name"], match.group(1) or "").resolved()
            found.append(LabelValues(path.stem, variable["name"], match.group(2), selector))
    return found
