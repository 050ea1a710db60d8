from __future__ import annotations

from prometheus_client import CollectorRegistry

from streams.census import Census
from streams.device import DeviceState
from streams.directory import StaticDirectory
from streams.handlers import DeviceHandler
from streams.metrics import StreamsMetrics
from streams.schedule import Schedule

from .factories import rid
from .readings import envelope


def test_a_due_device_is_ticked_once_then_again_only_after_the_resend_delay():
    schedule, device = Schedule(resend_after_s=5), rid()
    schedule.set(device, 3, due=100.0)
    assert schedule.due(99.0) == []
    assert schedule.due(100.0) == [device]
    assert schedule.due(104.0) == []
    assert schedule.due(105.0) == [device]


def test_a_device_with_nothing_pending_or_on_a_revoked_partition_is_never_due():
    schedule, quiet, moved = Schedule(), rid(), rid()
    schedule.set(quiet, 1, due=None)
    schedule.set(moved, 2, due=10.0)
    schedule.forget_partitions([2])
    assert schedule.due(1e9) == []


def test_gauges_count_open_alarms_and_presence_per_family():
    handler, census = DeviceHandler(StaticDirectory()), Census()
    for value in (30.0, 1.0):
        device = rid()
        raw = envelope(device, rid(), 1, 0, {"concentration": value})
        state, _ = handler.reading("r", DeviceState(), raw)
        census.record(device, 0, state)
    metrics = StreamsMetrics(CollectorRegistry())
    census.publish(metrics)
    sample = metrics.registry.get_sample_value
    orange_gas = {"family": "gas", "severity": "orange"}
    assert sample("hazardwatch_streams_open_alarms", orange_gas) == 1
    assert sample("hazardwatch_streams_devices", {"family": "gas", "status": "online"}) == 2
    census.forget_partitions([0])
    census.publish(metrics)
    assert sample("hazardwatch_streams_open_alarms", orange_gas) is None
