"""The "gateway down" scenario, shared by the stand-in test here and the e2e test on the real
gateway: scraped and healthy, killed with -9, HazardwatchGatewayDown firing for its instance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.integration.observability.local_prometheus import LocalPrometheus, wait_for

ALERT = "HazardwatchGatewayDown"
# Production holds the alert 1 m; a test holds it a few scrapes, same expression.
TEST_WINDOW = {ALERT: "5s"}


def _alerts(prometheus: LocalPrometheus, instance: str) -> list[dict[str, Any]]:
    return [
        alert
        for alert in prometheus.alerts()
        if alert["labels"]["alertname"] == ALERT and alert["labels"].get("instance") == instance
    ]


def kill_and_expect_gateway_down(
    prometheus: LocalPrometheus, instance: str, kill: Callable[[], None]
) -> dict[str, Any]:
    """Returns the firing alert; raises TimeoutError when it does not fire in time."""
    wait_for(
        lambda: prometheus.query(f'up{{job="hazardwatch-ingest",instance="{instance}"}} == 1'),
        60.0,
        f"gateway {instance} scraped",
    )
    assert not _alerts(prometheus, instance), "GatewayDown for a gateway that answers scrapes"
    kill()
    firing: list[dict[str, Any]] = wait_for(
        lambda: [a for a in _alerts(prometheus, instance) if a["state"] == "firing"],
        60.0,
        f"{ALERT} firing for {instance}",
    )
    return firing[0]
