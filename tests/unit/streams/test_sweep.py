"""The timer's sweep: one message per partition applies the clock to each device due in it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry

from schemas.events import AlarmRaised, parse_event
from streams import processor
from streams.directory import StaticDirectory
from streams.messages import SWEEP_KEY, ClockSweep, encode, parse_tick
from streams.metrics import StreamsMetrics
from streams.processor import DeviceProcessor, Outbox
from streams.settings import StreamsSettings
from streams.topology import Topology

from .factories import at, rid
from .readings import envelope
from .test_intake import MemoryTable


class Producer:
    """Records what the outbox sends; every send is acknowledged at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.soon: list[tuple[str, bytes, bytes, int]] = []

    async def send(
        self, topic: str, key: bytes | None, value: bytes, partition: int | None = None
    ) -> Awaitable[Any]:
        self.sent.append((topic, key, value))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def send_soon(self, topic: str, key: bytes, value: bytes, partition: int) -> None:
        self.soon.append((topic, key, value, partition))


def worker() -> tuple[DeviceProcessor, Producer, Topology]:
    topology = Topology.of(StreamsSettings(topic_prefix=f"t{rid()}."))
    producer, metrics = Producer(), StreamsMetrics(CollectorRegistry())
    outbox = Outbox(topology, producer.send, metrics, producer.send_soon)
    devices = DeviceProcessor(topology, MemoryTable(), StaticDirectory(), metrics, outbox)
    return devices, producer, topology


def sweep(topology: Topology, partition: int, now: datetime) -> processor.Message:
    return topology.ticks, SWEEP_KEY, encode(ClockSweep(partition=partition, now=now)), partition


def offline_raised(producer: Producer, topology: Topology) -> list[str]:
    events = [parse_event(v) for t, _, v in producer.sent if t == topology.events]
    return [e.device_id for e in events if isinstance(e, AlarmRaised) and e.condition == "offline"]


def test_one_sweep_raises_offline_for_every_silent_device_of_its_partition_only() -> None:
    devices, producer, topology = worker()
    ids = [rid() for _ in range(3)]
    readings = [(topology.readings, d.encode(), envelope(d, rid(), 1, 0, {}), 0) for d in ids]
    other = rid()
    readings.append((topology.readings, other.encode(), envelope(other, rid(), 1, 0, {}), 1))
    asyncio.run(devices.process(readings, {}))
    assert devices.schedule.partitions_due(at(31).timestamp()) == [0, 1]

    asyncio.run(devices.process([sweep(topology, 0, at(31))], {(topology.ticks, 0): 1}))
    assert sorted(offline_raised(producer, topology)) == sorted(ids)
    # Raised once: the same sweep redelivered finds nobody due any more.
    producer.sent.clear()
    asyncio.run(devices.process([sweep(topology, 0, at(32))], {}))
    assert offline_raised(producer, topology) == []
    assert devices.schedule.partitions_due(at(32).timestamp()) == [1]


def test_the_timer_sends_one_sweep_per_due_partition_and_no_second_while_one_is_pending() -> None:
    devices, producer, topology = worker()
    device = rid()
    reading = (topology.readings, device.encode(), envelope(device, rid(), 1, 0, {}), 4)
    asyncio.run(devices.process([reading], {}))  # device time 2026: long overdue now
    devices.send_sweeps(lambda partition: True)
    devices.send_sweeps(lambda partition: True)
    [(topic, key, value, partition)] = producer.soon
    assert (topic, key, partition) == (topology.ticks, SWEEP_KEY, 4)
    assert isinstance(parse_tick(value), ClockSweep)


def test_a_sweep_over_the_limit_leaves_the_rest_to_a_follow_up_sweep(monkeypatch: Any) -> None:
    monkeypatch.setattr(processor, "SWEEP_MAX", 2)
    devices, producer, topology = worker()
    ids = [rid() for _ in range(5)]
    asyncio.run(devices.process(
        [(topology.readings, d.encode(), envelope(d, rid(), 1, 0, {}), 0) for d in ids], {}
    ))
    asyncio.run(devices.process([sweep(topology, 0, at(31))], {}))
    assert len(offline_raised(producer, topology)) == 2
    assert [(k, p) for _, k, _, p in producer.soon] == [(SWEEP_KEY, 0)]
    for _ in range(2):
        asyncio.run(devices.process([sweep(topology, 0, at(31))], {}))
    assert sorted(offline_raised(producer, topology)) == sorted(ids)


def test_a_follow_up_sweep_keeps_the_clock_of_the_sweep_it_continues(monkeypatch: Any) -> None:
    monkeypatch.setattr(processor, "SWEEP_MAX", 2)
    devices, producer, topology = worker()
    ids = [rid() for _ in range(5)]
    asyncio.run(devices.process(
        [(topology.readings, d.encode(), envelope(d, rid(), 1, 0, {}), 0) for d in ids], {}
    ))
    # Behind a backlog the sweep runs on the watermark (t=31), far behind the wall clock.
    asyncio.run(devices.process([sweep(topology, 0, at(31))], {}))
    [(_, key, value, partition)] = producer.soon
    assert (key, partition) == (SWEEP_KEY, 0)
    follow_up = parse_tick(value)
    assert isinstance(follow_up, ClockSweep) and follow_up.now == at(31)
    devices.send_sweeps(lambda partition: True)  # the follow-up is on its way: no second one
    assert len(producer.soon) == 1


def test_a_sweep_that_cannot_be_read_is_dead_lettered() -> None:
    devices, producer, topology = worker()
    asyncio.run(devices.process([(topology.ticks, SWEEP_KEY, b"{", 0)], {}))
    assert [t for t, _, _ in producer.sent] == [topology.rejected]


def test_behind_a_backlog_silence_is_judged_on_the_latest_reading_applied_not_the_wall_clock(
) -> None:
    devices, producer, topology = worker()
    early, late = rid(), rid()
    asyncio.run(devices.process([
        (topology.readings, early.encode(), envelope(early, rid(), 1, 0, {}), 0),
        (topology.readings, late.encode(), envelope(late, rid(), 1, 20, {}), 0),
    ], {}))
    # Both are long overdue on the wall clock, but the partition has readings waiting: on its
    # own clock (the latest reading applied, t=20) nobody's deadline (t=30) has come.
    devices.send_sweeps(lambda partition: False)
    assert producer.soon == []
    asyncio.run(devices.process(
        [(topology.readings, late.encode(), envelope(late, rid(), 2, 35, {}), 0)], {}
    ))
    devices.send_sweeps(lambda partition: False)
    [(_, _, value, _)] = producer.soon
    sweep = parse_tick(value)
    assert isinstance(sweep, ClockSweep) and sweep.now == at(35)
    asyncio.run(devices.process([(topology.ticks, SWEEP_KEY, value, 0)], {}))
    assert offline_raised(producer, topology) == [early]
