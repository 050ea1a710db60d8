"""The metric table the rules and dashboards are written against is read completely."""

from __future__ import annotations

from tests.unit.observability.metrics_doc import documented


def test_every_process_of_the_metric_table_is_read_with_its_labels() -> None:
    table = documented()
    assert set(table) == {"ingest", "streams", "sinks", "alerts"}
    assert table["sinks"]["hazardwatch_devices_online"] == {"township", "family", "enterprise"}
    assert table["sinks"]["hazardwatch_devices_total"] == {"township", "family", "enterprise"}
    assert table["streams"]["hazardwatch_streams_readings_dropped_total"] == {"reason"}
    assert table["ingest"]["hazardwatch_ingest_inflight_messages"] == frozenset()
    assert sum(len(metrics) for metrics in table.values()) == 33
