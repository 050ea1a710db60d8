"""The short-window rule files the live tests load are derived from deploy/prometheus by changing
only timing, so they test the production expressions."""

from __future__ import annotations

from typing import Any

import yaml

from tests.integration.observability.local_prometheus import rule_variant
from tests.unit.observability.promtool import RULE_FILES, load


def _rules(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_a_variant_changes_group_intervals_and_the_named_alert_windows_only() -> None:
    source = next(path for path in RULE_FILES if path.name == "pipeline.rules.yml")
    original = load(source)
    variant = yaml.safe_load(rule_variant(source, "1s", {"HazardwatchGatewayDown": "5s"}))

    assert {group["interval"] for group in variant["groups"]} == {"1s"}
    before, after = _rules(original), _rules(variant)
    assert [r["expr"] for r in before] == [r["expr"] for r in after]
    assert [r.get("labels") for r in before] == [r.get("labels") for r in after]
    windows = {r["alert"]: r.get("for") for r in after if "alert" in r}
    assert windows["HazardwatchGatewayDown"] == "5s"
    assert windows["HazardwatchSinkLag"] == "10m"


def test_a_variant_of_every_rule_file_keeps_every_rule() -> None:
    for source in RULE_FILES:
        variant = yaml.safe_load(rule_variant(source, "1s"))
        assert len(_rules(variant)) == len(_rules(load(source)))
