"""The Prometheus of the local stack (`./run stack up`) loads every rule group of deploy/prometheus,
evaluates them without error, and scrapes every hazardwatch job and itself."""

from __future__ import annotations

from typing import Any

import httpx

from schemas.settings import Endpoints
from tests.integration.observability.local_prometheus import wait_for
from tests.unit.observability.promtool import RULE_FILES, load

JOBS = {
    "hazardwatch-ingest",
    "hazardwatch-streams",
    "hazardwatch-sinks",
    "hazardwatch-alerts",
    "prometheus",
}


def _api(stack: Endpoints, path: str) -> Any:
    body = httpx.get(f"{stack.prometheus_url}/api/v1/{path}", timeout=10.0).json()
    assert body["status"] == "success", body
    return body["data"]


def test_the_stack_prometheus_loads_every_rule_group_of_deploy_prometheus(
    stack: Endpoints,
) -> None:
    expected = {group["name"] for path in RULE_FILES for group in load(path)["groups"]}
    loaded = {group["name"] for group in _api(stack, "rules")["groups"]}
    assert expected <= loaded


def test_no_rule_of_the_stack_prometheus_fails_to_evaluate(stack: Endpoints) -> None:
    rules = [rule for group in _api(stack, "rules")["groups"] for rule in group["rules"]]
    assert rules
    failing = {rule["name"]: rule.get("lastError") for rule in rules if rule["health"] == "err"}
    assert not failing


def test_the_stack_prometheus_scrapes_every_hazardwatch_job_and_itself(stack: Endpoints) -> None:
    targets = _api(stack, "targets")["activeTargets"]
    assert {target["labels"]["job"] for target in targets} >= JOBS
    # Its own target turns healthy after its first scrape.
    wait_for(
        lambda: any(
            t["labels"]["job"] == "prometheus" and t["health"] == "up"
            for t in _api(stack, "targets")["activeTargets"]
        ),
        30.0,
        "Prometheus scraping itself",
    )
