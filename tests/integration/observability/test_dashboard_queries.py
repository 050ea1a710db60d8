"""Every PromQL expression of every dashboard parses and returns data on a real Prometheus that
scrapes live metrics (exporter.py) and evaluates the rules of deploy/prometheus, and every rule
evaluates there without error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.observability.local_prometheus import (
    LocalPrometheus,
    PromQLError,
    wait_for,
)
from tests.unit.observability.dashboards import DASHBOARDS, Query, queries, variables

ALL_QUERIES = [query for path in DASHBOARDS for query in queries(path)]


def _empty(prometheus: LocalPrometheus, candidates: list[Query]) -> list[Query]:
    return [query for query in candidates if not prometheus.query(query.resolved())]


def test_the_dashboards_have_queries() -> None:
    assert len(ALL_QUERIES) > 30


def test_every_dashboard_query_parses_and_returns_data(loaded_prometheus: LocalPrometheus) -> None:
    def none_empty() -> bool:
        try:
            return not _empty(loaded_prometheus, ALL_QUERIES)
        except PromQLError as error:
            pytest.fail(f"a dashboard query does not parse or run: {error}")

    try:
        wait_for(none_empty, 60.0, "data for every dashboard query")
    except TimeoutError:
        empty = _empty(loaded_prometheus, ALL_QUERIES)
        pytest.fail(
            "no data for:\n" + "\n".join(f"{q.dashboard}/{q.panel}: {q.expr}" for q in empty)
        )


def test_every_dashboard_query_also_runs_with_a_concrete_variable_value(
    loaded_prometheus: LocalPrometheus,
) -> None:
    concrete = {"township": "330106001", "family": "gas", "enterprise": "E330106001001"}
    wait_for(lambda: not _empty(loaded_prometheus, ALL_QUERIES), 60.0, "data for every query")
    templated = [query for query in ALL_QUERIES if "$" in query.expr]
    assert templated
    empty = [q for q in templated if not loaded_prometheus.query(q.resolved(concrete))]
    assert not empty


def test_a_broken_query_is_reported_not_ignored(loaded_prometheus: LocalPrometheus) -> None:
    with pytest.raises(PromQLError):
        loaded_prometheus.query("sum by (township (hazardwatch_devices_online)")
    assert not loaded_prometheus.query('hazardwatch_devices_online{township="000000000"}')


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_template_variable_lists_values(
    loaded_prometheus: LocalPrometheus, path: Path
) -> None:
    for variable in variables(path):
        values = loaded_prometheus.label_values(variable.label, variable.match)
        assert values, f"{variable.dashboard} ${variable.variable} lists nothing"


def test_every_rule_evaluates_without_error_on_live_data(
    loaded_prometheus: LocalPrometheus,
) -> None:
    def all_evaluated() -> list[dict[str, object]]:
        rules = loaded_prometheus.rules()
        return rules if all(rule["health"] != "unknown" for rule in rules) else []

    rules = wait_for(all_evaluated, 60.0, "every rule evaluated once")
    failing = {rule["name"]: rule.get("lastError") for rule in rules if rule["health"] != "ok"}
    assert not failing


def test_every_recording_rule_has_data_on_live_data(loaded_prometheus: LocalPrometheus) -> None:
    names = [rule["name"] for rule in loaded_prometheus.rules() if rule["type"] == "recording"]
    assert names

    def empty() -> list[str]:
        return [name for name in names if not loaded_prometheus.query(name)]

    try:
        wait_for(lambda: not empty(), 60.0, "data in every recorded series")
    except TimeoutError:
        pytest.fail(f"recorded series without data: {empty()}")
