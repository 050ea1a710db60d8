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


def test_a_partition_is_due_once_a_device_of_it_passes_its_deadline():
    schedule, device = Schedule(), rid()
    schedule.set(device, 3, due=100.0)
    assert schedule.partitions_due(99.0) == []
    assert schedule.partitions_due(100.0) == [3]
    assert schedule.due_in(3, 100.0, limit=10) == [device]
    # Still due until the agent's step sets its next deadline.
    assert schedule.due_in(3, 100.0, limit=10) == [device]
    schedule.set(device, 3, due=None)
    assert schedule.partitions_due(1e9) == []


def test_a_sweep_takes_the_earliest_due_devices_of_its_partition_up_to_the_limit():
    schedule = Schedule()
    devices = [rid() for _ in range(5)]
    for index, device in enumerate(devices):
        schedule.set(device, 1, due=10.0 + index)
    schedule.set(rid(), 2, due=0.0)  # another partition
    schedule.set(rid(), 1, due=99.0)  # not due yet
    assert schedule.due_in(1, 50.0, limit=3) == devices[:3]
    assert schedule.due_in(1, 50.0, limit=100) == devices
    assert schedule.earliest(1) == 10.0


def test_a_moved_deadline_replaces_the_old_one():
    schedule, device = Schedule(), rid()
    schedule.set(device, 0, due=10.0)
    schedule.set(device, 0, due=50.0)  # a reading came: the silence deadline moved on
    assert schedule.due_in(0, 20.0, limit=10) == []
    assert schedule.earliest(0) == 50.0
    for _ in range(500):  # stale entries are compacted away, the live one stays
        schedule.set(device, 0, due=(schedule.earliest(0) or 0) + 1)
    assert len(schedule) == 1 and schedule.earliest(0) == 550.0


def test_a_device_with_nothing_pending_or_on_a_revoked_partition_is_never_due():
    schedule, quiet, moved = Schedule(), rid(), rid()
    schedule.set(quiet, 1, due=None)
    schedule.set(moved, 2, due=10.0)
    schedule.forget_partitions([2])
    assert schedule.partitions_due(1e9) == []
    assert schedule.due_in(2, 1e9, limit=10) == []


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
