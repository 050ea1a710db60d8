"""Every rule in deploy/prometheus has promtool tests: each alert both firing and staying silent,
each recording rule with an expected value."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.unit.observability.promtool import TEST_FILES, load, rules

_NAME = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)\{")


def _suites() -> list[dict[str, Any]]:
    return [test for path in TEST_FILES for test in load(path)["tests"]]


def _alert_cases() -> list[dict[str, Any]]:
    return [case for test in _suites() for case in test.get("alert_rule_test", [])]


@pytest.mark.parametrize("alert", [rule["alert"] for rule in rules("alert")])
def test_every_alert_is_tested_firing_and_not_firing(alert: str) -> None:
    mine = [case for case in _alert_cases() if case["alertname"] == alert]
    assert any(case["exp_alerts"] for case in mine), f"{alert} is never expected to fire"
    assert any(not case["exp_alerts"] for case in mine), f"{alert} is never expected silent"


@pytest.mark.parametrize("record", [rule["record"] for rule in rules("record")])
def test_every_recording_rule_has_an_expected_value(record: str) -> None:
    named = {
        match.group(1)
        for test in _suites()
        for case in test.get("promql_expr_test", [])
        for sample in case["exp_samples"]
        if (match := _NAME.match(sample["labels"]))
    }
    assert record in named


def test_every_alert_has_a_severity_summary_and_description() -> None:
    for rule in rules("alert"):
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]
