"""A county-wide outage through the site aggregation: its verdicts go out as one message per
device partition, a held alarm is released only on a site clock that the worker's own
unfinished sweeps hold back, and covered devices are raised inhibited."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from prometheus_client import CollectorRegistry

from schemas.events import AlarmRaised, parse_event
from schemas.families import Family
from streams.directory import StaticDirectory
from streams.messages import (
    PRESENCE_BATCH_KEY,
    SITE_CLOCK_KEY,
    SWEEP_KEY,
    VERDICTS_KEY,
    ClockSweep,
    SiteClock,
    SiteVerdicts,
    encode,
    parse_tick,
)
from streams.metrics import StreamsMetrics
from streams.processor import DeviceProcessor, Outbox, SiteProcessor, key_partition
from streams.profiles import DeviceSpec
from streams.settings import StreamsSettings
from streams.topology import Topology

from .factories import at, rid
from .readings import envelope
from .test_intake import MemoryTable

Sent = tuple[str, bytes | None, bytes, int | None]


class Producer:
    def __init__(self) -> None:
        self.sent: list[Sent] = []

    async def send(
        self, topic: str, key: bytes | None, value: bytes, partition: int | None = None
    ) -> Awaitable[Any]:
        self.sent.append((topic, key, value, partition))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def send_soon(self, topic: str, key: bytes, value: bytes, partition: int) -> None:
        self.sent.append((topic, key, value, partition))

    def take(self) -> list[Sent]:
        sent, self.sent = self.sent, []
        return sent


class County:
    """One worker (both agents) over sites of `size` devices; messages are routed by hand."""

    def __init__(self, sites: int, size: int) -> None:
        self.topology = Topology.of(StreamsSettings(topic_prefix=f"t{rid()}."))
        self.enterprises = ["E" + rid() for _ in range(sites)]
        self.devices = {e: ["d" + rid() for _ in range(size)] for e in self.enterprises}
        specs = [DeviceSpec(d, e, Family.GAS) for e, ids in self.devices.items() for d in ids]
        directory = StaticDirectory(specs, site_hold_s=3.0, site_hold_max_s=30.0)
        self.producer, metrics = Producer(), StreamsMetrics(CollectorRegistry())
        outbox = Outbox(self.topology, self.producer.send, metrics, self.producer.send_soon)
        self.device_agent = DeviceProcessor(
            self.topology, MemoryTable(), directory, metrics, outbox
        )
        self.site_agent = SiteProcessor(self.topology, MemoryTable(), directory, outbox)
        self.events: list[AlarmRaised] = []

    def part(self, key: str) -> int:
        return key_partition(key.encode(), self.topology.partitions)

    def run(self, messages: list[tuple[str, bytes, bytes, int]]) -> None:
        """Applies messages to the agent of their topic, then routes what they sent, until
        nothing is left (sweeps and site clocks are not routed: the test sends those)."""
        while messages:
            ours = [m for m in messages if m[0] != self.topology.presence]
            theirs = [m for m in messages if m[0] == self.topology.presence]
            if ours:
                asyncio.run(self.device_agent.process(ours, {}))
            if theirs:
                asyncio.run(self.site_agent.process(theirs, {}))
            messages = []
            for topic, key, value, partition in self.producer.take():
                if topic == self.topology.events:
                    event = parse_event(value)
                    if isinstance(event, AlarmRaised):
                        self.events.append(event)
                elif topic in (self.topology.ticks, self.topology.presence) and key not in (
                    SWEEP_KEY, SITE_CLOCK_KEY
                ):
                    assert key is not None
                    where = partition if partition is not None else self.part(key.decode())
                    messages.append((topic, key, value, where))

    def sweep_all(self, seconds: float) -> None:
        now = at(seconds)
        self.run([
            (self.topology.ticks, SWEEP_KEY, encode(ClockSweep(partition=p, now=now)), p)
            for p in range(self.topology.partitions)
        ])

    def site_clock(self, seconds: float) -> None:
        self.run([
            (self.topology.presence, SITE_CLOCK_KEY,
             encode(SiteClock(partition=p, now=at(seconds))), p)
            for p in range(self.topology.partitions)
        ])


def test_a_whole_county_silent_at_once_raises_site_alarms_first_and_inhibits_every_device() -> None:
    county = County(sites=12, size=5)
    county.run([
        (county.topology.readings, d.encode(), envelope(d, e, 1, 0, {"concentration": 1.0}),
         county.part(d))
        for e, ids in county.devices.items() for d in ids
    ])
    county.producer.take()
    county.sweep_all(31)
    site_alarms = [e for e in county.events if e.condition == "site_offline"]
    device_alarms = [e for e in county.events if e.condition == "offline"]
    assert sorted(e.enterprise_id for e in site_alarms) == sorted(county.enterprises)
    assert len(device_alarms) == 60
    assert {e.suppressed_window for e in device_alarms} == {
        f"site:{e}" for e in county.enterprises
    }


def test_the_site_agent_sends_one_verdicts_message_per_device_partition() -> None:
    county = County(sites=12, size=5)
    county.run([
        (county.topology.readings, d.encode(), envelope(d, e, 1, 0, {}), county.part(d))
        for e, ids in county.devices.items() for d in ids
    ])
    county.producer.take()
    now = at(31)
    asyncio.run(county.device_agent.process([
        (county.topology.ticks, SWEEP_KEY, encode(ClockSweep(partition=p, now=now)), p)
        for p in range(county.topology.partitions)
    ], {}))
    presence = [(t, k, v, p) for t, k, v, p in county.producer.take()
                if t == county.topology.presence and k is not None and p is not None]
    # 60 devices went offline: one presence message per presence partition, not per device.
    assert 1 < len(presence) <= county.topology.partitions
    assert {k for _, k, _, _ in presence} == {PRESENCE_BATCH_KEY}
    asyncio.run(county.site_agent.process(presence, {}))
    verdicts = [(k, v, p) for t, k, v, p in county.producer.take() if k == VERDICTS_KEY]
    assert 1 < len(verdicts) <= county.topology.partitions
    covered = 0
    for _, value, partition in verdicts:
        message = parse_tick(value)
        assert isinstance(message, SiteVerdicts) and message.partition == partition
        assert all(county.part(d) == partition for d, _ in message.covered)
        covered += len(message.covered)
    assert covered == 60


def test_a_partial_outage_is_released_by_the_site_clock_and_never_ahead_of_the_sweeps() -> None:
    county = County(sites=1, size=3)
    enterprise = county.enterprises[0]
    silent, reporting = county.devices[enterprise][:2], county.devices[enterprise][2]
    county.run([
        (county.topology.readings, d.encode(), envelope(d, enterprise, 1, 0, {}), county.part(d))
        for d in silent
    ] + [(county.topology.readings, reporting.encode(),
          envelope(reporting, enterprise, 1, 20, {}), county.part(reporting))])
    county.sweep_all(31)
    assert county.events == []  # held: the site's verdict decides
    # The reporting device's deadline (t=50) is due and not swept yet: the site clock is
    # held back to it, whatever the wall clock says.
    assert county.device_agent.swept_until(at(60).timestamp()) == at(50).timestamp()
    county.site_clock(32.9)
    assert county.events == []
    county.site_clock(33)
    assert sorted(e.device_id for e in county.events) == sorted(silent)
    assert {e.suppressed_window for e in county.events} == {None}
