from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from storage.datastore import Datastore
from streams.sinks.metrics import SinkMetrics
from streams.sinks.uptime import scan
from tests.integration.storage.builders import alarm_history, rid
from tests.integration.storage.seeding import register, store_alarm_events


@pytest.fixture
def store(database_url: str) -> Iterator[Datastore]:
    datastore = Datastore(database_url, max_size=2)
    yield datastore
    datastore.close()


def test_the_uptime_scan_counts_online_and_registered_devices_per_township(
    store: Datastore,
) -> None:
    enterprise = rid("E-")
    devices = {rid("d-"): (enterprise, "gas") for _ in range(3)}
    register(store, {enterprise: "330106001001"}, devices)
    offline = next(iter(devices))
    store_alarm_events(
        store,
        alarm_history(device_id=offline, enterprise_id=enterprise, condition="offline",
                      raised_at=datetime.now(UTC) - timedelta(minutes=5)),
    )  # fmt: skip
    metrics = SinkMetrics(CollectorRegistry())
    with store.transaction() as conn:
        assert scan(conn, metrics)
    labels = {"township": "330106001", "family": "gas", "enterprise": enterprise}
    get = metrics.registry.get_sample_value
    assert get("hazardwatch_devices_total", labels) == 3
    assert get("hazardwatch_devices_online", labels) == 2
