"""Killing a process that serves the gateway's /metrics makes HazardwatchGatewayDown fire on a real
Prometheus (the stand-in for `python -m ingest`; tests/e2e runs the same with the real gateway)."""

from __future__ import annotations

from pathlib import Path

from tests.integration.observability.gateway_down import (
    TEST_WINDOW,
    kill_and_expect_gateway_down,
)
from tests.integration.observability.harness import running_exporter, running_prometheus


def test_killing_the_gateway_fires_gateway_down_for_its_instance(tmp_path: Path) -> None:
    with (
        running_exporter(tmp_path / "gateway.log", "ingest") as gateway,
        running_prometheus(tmp_path / "prometheus", gateway.targets(), TEST_WINDOW) as prometheus,
    ):
        instance = f"127.0.0.1:{gateway.ports['ingest']}"
        alert = kill_and_expect_gateway_down(prometheus, instance, gateway.kill)
        assert alert["labels"]["severity"] == "critical"
        assert alert["labels"]["job"] == "hazardwatch-ingest"
        assert instance in alert["annotations"]["summary"]


def test_a_gateway_that_keeps_running_raises_no_gateway_down(tmp_path: Path) -> None:
    with (
        running_exporter(tmp_path / "gateway.log", "ingest") as gateway,
        running_exporter(tmp_path / "victim.log", "ingest") as victim,
        running_prometheus(
            tmp_path / "prometheus",
            {
                "hazardwatch-ingest": [
                    *gateway.targets()["hazardwatch-ingest"],
                    *victim.targets()["hazardwatch-ingest"],
                ]
            },
            TEST_WINDOW,
        ) as prometheus,
    ):
        # Once the killed peer's alert fires, the survivor has been judged over the same window.
        kill_and_expect_gateway_down(prometheus, f"127.0.0.1:{victim.ports['ingest']}", victim.kill)
        survivor = f"127.0.0.1:{gateway.ports['ingest']}"
        down = [a for a in prometheus.alerts() if a["labels"].get("instance") == survivor]
        assert not down
