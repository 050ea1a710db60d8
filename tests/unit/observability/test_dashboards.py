"""The dashboards are well-formed Grafana JSON wired to the provisioned data source, and they only
query metrics that exist: documented in docs/internals.md or recorded by deploy/prometheus."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.unit.observability.dashboards import (
    DASHBOARDS,
    GRAFANA_DIR,
    Query,
    load,
    panels,
    queries,
    variables,
)
from tests.unit.observability.promtool import rules

INTERNALS = Path(__file__).resolve().parents[3] / "docs" / "internals.md"
_DOCUMENTED = re.compile(r"`(hazardwatch_[a-z_]+)`")
_REFERENCED = re.compile(r"\b((?:[a-z_]+:)?hazardwatch_[a-z_]+(?::[a-z0-9_]+)?)")
_HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def _known_metrics() -> set[str]:
    documented = set(_DOCUMENTED.findall(INTERNALS.read_text()))
    recorded = {rule["record"] for rule in rules("record")}
    return documented | recorded


def _base(name: str) -> str:
    for suffix in _HISTOGRAM_SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def _datasource_uid() -> str:
    provisioning = GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yaml"
    uid: str = yaml.safe_load(provisioning.read_text())["datasources"][0]["uid"]
    return uid


def test_the_three_dashboards_exist() -> None:
    assert {path.stem for path in DASHBOARDS} == {"overview", "uptime", "alarms"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_panel_queries_the_provisioned_prometheus(path: Path) -> None:
    uid = _datasource_uid()
    dashboard = load(path)
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels(dashboard):
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert panel["targets"], f"{panel['title']} has no query"
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_metric_a_dashboard_queries_is_documented_or_recorded(path: Path) -> None:
    referenced = {
        _base(name) for query in queries(path) for name in _REFERENCED.findall(query.expr)
    }
    assert referenced
    assert not referenced - _known_metrics()


def test_every_metric_the_rules_read_is_documented_or_recorded() -> None:
    known = _known_metrics()
    exprs = [rule["expr"] for kind in ("record", "alert") for rule in rules(kind)]
    referenced = {name for expr in exprs for name in _REFERENCED.findall(expr)}
    assert referenced
    assert not referenced - known


def test_template_variables_resolve_to_all_or_a_given_value() -> None:
    query = Query("d", "p", 'x{township=~"$township",family=~"${family}"}')
    assert query.resolved() == 'x{township=~".*",family=~".*"}'
    assert query.resolved({"family": "gas"}) == 'x{township=~".*",family=~"gas"}'


def test_the_uptime_dashboard_filters_by_township_family_and_enterprise() -> None:
    uptime = next(path for path in DASHBOARDS if path.stem == "uptime")
    assert {v.label for v in variables(uptime)} == {"township", "family", "enterprise"}
