"""One real Prometheus per test module, scraping the metric stand-in for every process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.observability.harness import running_exporter, running_prometheus
from tests.integration.observability.local_prometheus import LocalPrometheus, wait_for


@pytest.fixture(scope="module")
def loaded_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPrometheus]:
    """One Prometheus per test module scraping a stand-in for every process, with data in every
    recorded series (rates need two scrapes and an evaluation after them)."""
    root = tmp_path_factory.mktemp("observability")
    with (
        running_exporter(root / "exporter.log") as exporter,
        running_prometheus(root / "prometheus", exporter.targets()) as prometheus,
    ):
        wait_for(
            lambda: prometheus.query("family:hazardwatch_ingest_messages_forwarded:rate5m"),
            60.0,
            "recorded rates",
        )
        yield prometheus
