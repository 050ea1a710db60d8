"""What the agents do per message, with the table and producer behind small seams.

The agents in `streams.app` stay thin: they iterate and call `process`. Here a message is
decoded, applied to its key's state by the pure handlers, the state written back (table +
changelog), the results sent, and the timer's index and the gauges' census kept current.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

from kafka.partitioner.default import murmur2
from pydantic import BaseModel

from schemas.deadlines import Deadlines
from schemas.events import encode_event
from streams.census import Census
from streams.codec import dead_letter
from streams.device import DOMAIN_DEADLINES, DeviceState, next_deadline
from streams.directory import StaticDirectory
from streams.handlers import DeviceHandler, Emission, SiteHandler, SiteOutput
from streams.messages import (
    PRESENCE_BATCH_KEY,
    SITE_CLOCK_KEY,
    SWEEP_KEY,
    VERDICTS_KEY,
    ClockSweep,
    ClockTick,
    Presence,
    PresenceBatch,
    SiteClock,
    SiteVerdicts,
    encode,
    parse_tick,
)
from streams.metrics import StreamsMetrics
from streams.positions import encode_position, is_position_key, position_key
from streams.rules.site import SiteState, next_release
from streams.schedule import Schedule
from streams.tables import StateTable
from streams.topology import Topology

log = logging.getLogger(__name__)
Handle = Callable[..., tuple[DeviceState, Emission]]  # (topic, state, raw=...)
Message = tuple[str, bytes, bytes, int]  # topic, key, value, partition
# Devices one sweep applies the clock to: bounds a batch after a county-wide outage, so its
# outputs are acknowledged (and its states saved) in steps, not all at the end.
SWEEP_MAX = 1000
SWEEP_RESEND_S = 5.0
Positions = Mapping[tuple[str, int], int]  # (topic, partition) -> next offset to process


class Sender(Protocol):
    """Queues one message (to the key's partition unless one is given); awaiting the returned
    awaitable waits for the broker's ack."""

    async def __call__(
        self, topic: str, key: bytes | None, value: bytes, partition: int | None = None
    ) -> Awaitable[Any]: ...


class Outbox:
    """Everything the worker produces goes through here (one producer, per-key order)."""

    def __init__(
        self,
        topology: Topology,
        send: Sender,
        metrics: StreamsMetrics,
        send_soon: Callable[[str, bytes, bytes, int], None],
    ) -> None:
        self.topology, self._send, self.metrics = topology, send, metrics
        self._send_soon = send_soon

    async def send(self, emission: Emission) -> list[Awaitable[Any]]:
        """Queues everything; awaiting the returned handles waits for Kafka's acks.
        (The device agent batches its presence itself: `presence_batches`.)"""
        return [
            *[
                await self._send(self.topology.events, e.device_id.encode(), encode_event(e))
                for e in emission.events
            ],
            *[await self._send(self.topology.ticks, k.encode(), v) for k, v in emission.ticks],
            *[
                await self._send(self.topology.presence, k.encode(), v)
                for k, v in emission.presence
            ],
        ]

    async def presence_batches(self, presence: list[tuple[str, bytes]]) -> list[Awaitable[Any]]:
        """(enterprise key, Presence JSON) of a batch, as one message per presence partition."""
        by_partition: dict[int, list[Presence]] = {}
        for key, value in presence:
            partition = key_partition(key.encode(), self.topology.partitions)
            by_partition.setdefault(partition, []).append(Presence.model_validate_json(value))
        return [
            await self._send(
                self.topology.presence, PRESENCE_BATCH_KEY,
                encode(PresenceBatch(partition=partition, items=items)), partition,
            )
            for partition, items in sorted(by_partition.items())
        ]

    async def verdicts(self, verdicts: SiteVerdicts) -> Awaitable[Any]:
        return await self._send(
            self.topology.ticks, VERDICTS_KEY, encode(verdicts), verdicts.partition
        )

    def site_clock(self, partition: int, now: datetime) -> None:
        # Like a sweep: a lost one is simply followed by the next timer run's.
        value = encode(SiteClock(partition=partition, now=now))
        self._send_soon(self.topology.presence, SITE_CLOCK_KEY, value, partition)

    def sweep(self, partition: int, now: datetime) -> None:
        # Not awaited to delivery: a lost sweep is simply sent again by a later timer run.
        value = encode(ClockSweep(partition=partition, now=now))
        self._send_soon(self.topology.ticks, SWEEP_KEY, value, partition)

    async def dead_letter(self, agent: str, topic: str, raw: bytes | None, exc: Exception) -> None:
        log.error("%s could not process a message of %s", agent, topic, exc_info=exc)
        self.metrics.dead_letters.labels(agent).inc()
        await self._send(self.topology.rejected, None, dead_letter(topic, raw, exc))


@dataclass(slots=True)
class _Work:
    """What a batch has changed and sent so far."""

    changed: dict[bytes, tuple[DeviceState, int]] = field(default_factory=dict)
    sent: list[Awaitable[Any]] = field(default_factory=list)
    presence: list[tuple[str, bytes]] = field(default_factory=list)
    # Partitions whose sweep hit SWEEP_MAX, with that sweep's clock for the follow-up.
    unfinished: dict[int, datetime] = field(default_factory=dict)


class DeviceProcessor:
    """The single writer of every device key on this worker's partitions."""

    def __init__(
        self,
        topology: Topology,
        table: StateTable,
        directory: StaticDirectory,
        metrics: StreamsMetrics,
        outbox: Outbox,
        deadlines: Deadlines = DOMAIN_DEADLINES,
    ) -> None:
        self.topology, self.table, self.directory = topology, table, directory
        self.metrics, self.outbox, self.deadlines = metrics, outbox, deadlines
        self.handler = DeviceHandler(directory, deadlines)
        self.schedule = Schedule()
        self.census = Census()
        # Decoded states: the table (and its changelog) stays the truth; this only saves
        # parsing JSON on every message. Dropped whenever partitions move.
        self._decoded: dict[bytes, DeviceState] = {}
        self._sweeping: dict[int, float] = {}  # partition -> when its sweep was sent
        self._watermarks: dict[int, datetime] = {}  # partition -> latest received_at applied

    async def process(self, batch: Sequence[Message], positions: Positions) -> None:
        """Applies a batch of messages in order; a failing one is dead-lettered and skipped.
        `positions` are stored with the batch's states (see `streams.positions`)."""
        work = _Work()
        for topic, key, raw, partition in batch:
            if topic == self.topology.ticks and key == SWEEP_KEY:
                await self._sweep(work, raw, partition)
                continue
            if topic == self.topology.ticks and key == VERDICTS_KEY:
                await self._verdicts(work, raw, partition)
                continue
            handle = self._route(topic)
            await self._step(work, topic, key, raw, partition, partial(handle, topic, raw=raw))
        if work.presence:
            work.sent += await self.outbox.presence_batches(work.presence)
        await deliver_then_save(self.table, work.sent, work.changed, positions)
        self._decoded.update((key, new_state) for key, (new_state, _) in work.changed.items())
        for partition, now in work.unfinished.items():
            # On the same clock: behind a backlog it is the watermark, not the wall clock.
            self._sweeping[partition] = time.time()
            self.outbox.sweep(partition, now)

    async def _step(
        self,
        work: _Work,
        topic: str,
        key: bytes,
        raw: bytes | Callable[[], bytes],
        partition: int,
        apply: Callable[[DeviceState], tuple[DeviceState, Emission]],
    ) -> None:
        """`raw` is the message (or what makes it, for a dead letter: a sweep's devices have
        no message of their own, and encoding one each would cost more than their step)."""
        try:
            state = work.changed[key][0] if key in work.changed else self._load(key)
            new_state, emission = apply(state)
            if emission.dropped is not None:
                self.metrics.readings_dropped.labels(emission.dropped).inc()
                return
            presence, emission.presence = emission.presence, []
            work.sent += await self.outbox.send(emission)
            work.presence += presence
        except Exception as exc:  # the failure policy: faust would ack it anyway
            message = raw if isinstance(raw, bytes) else raw()
            await self.outbox.dead_letter("devices", topic, message, exc)
            return
        if new_state is not state:
            work.changed[key] = (new_state, partition)
        if topic == self.topology.commands:
            self.metrics.commands_processed.inc()
        elif topic == self.topology.readings and emission.received_at is not None:
            mark = self._watermarks.get(partition)
            if mark is None or emission.received_at > mark:
                self._watermarks[partition] = emission.received_at
        self._observe(emission)
        self._index(key.decode(), partition, new_state)

    async def _sweep(self, work: _Work, raw: bytes, partition: int) -> None:
        """The clock for every device of the partition due at the sweep's `now`, as if each
        had its own tick; what a sweep leaves over (more than SWEEP_MAX) gets another sweep."""
        try:
            sweep = parse_tick(raw)
            if not isinstance(sweep, ClockSweep):
                raise TypeError(f"a {sweep.kind} message under the sweep key")
        except Exception as exc:
            await self.outbox.dead_letter("devices", self.topology.ticks, raw, exc)
            return
        self._sweeping.pop(partition, None)
        now = sweep.now
        due = self.schedule.due_in(partition, now.timestamp(), SWEEP_MAX + 1)
        if len(due) > SWEEP_MAX:
            due = due[:SWEEP_MAX]
            work.unfinished[partition] = now
        for device_id in due:
            # Exactly the tick the device would have had on its own (and what a dead letter
            # shows should its step fail), applied without a message of its own.
            tick = ClockTick(device_id=device_id, now=now)
            await self._step(
                work, self.topology.ticks, device_id.encode(), partial(encode, tick), partition,
                partial(self.handler.clock, tick),
            )

    async def _verdicts(self, work: _Work, raw: bytes, partition: int) -> None:
        """The site aggregation's verdicts for devices of this partition, each applied as if
        it had come on its own (a dead letter shows the single verdict that failed)."""
        try:
            verdicts = parse_tick(raw)
            if not isinstance(verdicts, SiteVerdicts):
                raise TypeError(f"a {verdicts.kind} message under the verdicts key")
        except Exception as exc:
            await self.outbox.dead_letter("devices", self.topology.ticks, raw, exc)
            return
        for covered, entries in ((True, verdicts.covered), (False, verdicts.released)):
            for device_id, enterprise_id in entries:
                one = SiteVerdicts(
                    partition=partition,
                    covered=[(device_id, enterprise_id)] if covered else [],
                    released=[] if covered else [(device_id, enterprise_id)],
                )
                await self._step(
                    work, self.topology.ticks, device_id.encode(), partial(encode, one),
                    partition, partial(self.handler.verdict, device_id, covered),
                )

    def swept_until(self, wall: float) -> float:
        """The clock the site aggregation may use: `wall`, held back to the earliest deadline
        on this worker's partitions that its sweeps have not applied yet (a backlog, or a
        county's sweeps still under way), so no held alarm is released while a sibling's
        silence is still waiting to be noticed."""
        earliest = (self.schedule.earliest(p) for p in self.schedule.partitions())
        return min([wall, *(e for e in earliest if e is not None)])

    def _load(self, key: bytes) -> DeviceState:
        state = self._decoded.get(key)
        if state is not None:
            return state
        stored = self.table.get(key)
        return DeviceState() if stored is None else DeviceState.model_validate_json(stored)

    def _route(self, topic: str) -> Handle:
        if topic == self.topology.readings:
            return self.handler.reading
        if topic == self.topology.commands:
            return self.handler.command
        return self.handler.tick

    def _observe(self, emission: Emission) -> None:
        if emission.family is None:
            return
        self.metrics.readings_processed.labels(emission.family.value).inc()
        self.metrics.record_events(emission.events)
        if emission.events and emission.received_at is not None:
            delay = (datetime.now(UTC) - emission.received_at).total_seconds()
            self.metrics.detection_latency.labels(emission.family.value).observe(max(delay, 0))

    def _index(self, device_id: str, partition: int, state: DeviceState) -> None:
        if state.family is None:
            return
        profile = self.directory.profile(device_id, state.family)
        due = next_deadline(state, profile, self.deadlines)
        self.schedule.set(device_id, partition, None if due is None else due.timestamp())
        self.census.record(device_id, partition, state)

    def send_sweeps(self, caught_up: Callable[[int], bool]) -> None:
        """One sweep per partition with a device due, unless one is still on its way (a lost
        sweep is sent again after SWEEP_RESEND_S).

        Silence is judged on the wall clock only where the partition's readings are caught
        up. Behind a backlog (a restart, an outage of the worker) a device's newer readings
        may still be waiting, so the clock there is the partition's watermark, the latest
        `received_at` processed: otherwise every device would go offline, and come back, while
        the worker catches up."""
        wall = time.time()
        for partition in self.schedule.partitions_due(wall):
            if wall - self._sweeping.get(partition, -1e18) < SWEEP_RESEND_S:
                continue
            now = wall
            if not caught_up(partition):
                mark = self._watermarks.get(partition)
                earliest = self.schedule.earliest(partition)
                if mark is None or earliest is None or earliest > mark.timestamp():
                    continue
                now = mark.timestamp()
            self._sweeping[partition] = wall
            self.outbox.sweep(partition, datetime.fromtimestamp(now, UTC))

    def revoked(self, partitions: Iterable[int]) -> None:
        gone = set(partitions)
        self._decoded.clear()
        for partition in gone:
            self._sweeping.pop(partition, None)
            self._watermarks.pop(partition, None)
        self.schedule.forget_partitions(gone)
        self.census.forget_partitions(gone)

    def reindex(self, assigned: set[int]) -> None:
        """After a rebalance: devices that went silent before a restart send nothing that
        would put them back in the timer's index, so rebuild it from the table."""
        self._decoded.clear()
        started = time.monotonic()
        # The memory store keeps keys of partitions this worker no longer owns: skip them.
        for key, stored in self.table.items():
            if is_position_key(key):
                continue
            partition = key_partition(key, self.topology.partitions)
            if partition in assigned and stored is not None:
                self._index(key.decode(), partition, DeviceState.model_validate_json(stored))
        elapsed = time.monotonic() - started
        log.info("timer index rebuilt: %d devices in %.2fs", len(self.schedule), elapsed)


class SiteProcessor:
    """The per-enterprise aggregation (key = enterprise id) behind site-offline alarms."""

    def __init__(
        self, topology: Topology, table: StateTable, directory: StaticDirectory, outbox: Outbox
    ) -> None:
        self.topology, self.table, self.outbox = topology, table, outbox
        self.handler = SiteHandler(directory)
        # When each enterprise's earliest held alarm is to be released, per presence partition.
        self.schedule = Schedule()

    async def process(self, batch: Sequence[Message], positions: Positions) -> None:
        """Like `DeviceProcessor.process`: outputs acknowledged before the states are saved.
        The batch's verdicts go out as one message per device partition."""
        changed: dict[bytes, tuple[SiteState, int]] = {}
        sent: list[Awaitable[Any]] = []
        covered: dict[int, list[tuple[str, str]]] = {}
        released: dict[int, list[tuple[str, str]]] = {}

        def load(key: bytes) -> SiteState:
            if key in changed:
                return changed[key][0]
            stored = self.table.get(key)
            return SiteState() if stored is None else SiteState.model_validate_json(stored)

        def collect(output: SiteOutput) -> None:
            for into, entries in ((covered, output.covered), (released, output.released)):
                for device_id, enterprise_id in entries:
                    part = key_partition(device_id.encode(), self.topology.partitions)
                    into.setdefault(part, []).append((device_id, enterprise_id))

        for topic, key, raw, partition in batch:
            try:
                if key == SITE_CLOCK_KEY:
                    clock = SiteClock.model_validate_json(raw)
                    due = self.schedule.due_in(partition, clock.now.timestamp(), 1 << 30)
                    for enterprise_id in due:
                        site_key_ = enterprise_id.encode()
                        state, output = self.handler.clock(enterprise_id, load(site_key_),
                                                           clock.now)
                        changed[site_key_] = (state, partition)
                        self._index(enterprise_id, partition, state)
                        collect(output)
                    continue
                if key == PRESENCE_BATCH_KEY:
                    items = PresenceBatch.model_validate_json(raw).items
                else:
                    items = [Presence.model_validate_json(raw)]
            except Exception as exc:  # the failure policy: faust would ack it anyway
                await self.outbox.dead_letter("sites", topic, raw, exc)
                continue
            for presence in items:
                enterprise_key = presence.enterprise_id.encode()
                try:
                    state, output = self.handler.apply(load(enterprise_key), presence)
                    sent += await self.outbox.send(Emission(ticks=output.ticks))
                except Exception as exc:
                    await self.outbox.dead_letter("sites", topic, encode(presence), exc)
                    continue
                changed[enterprise_key] = (state, partition)
                self._index(presence.enterprise_id, partition, state)
                collect(output)
        for part in sorted(set(covered) | set(released)):
            verdicts = SiteVerdicts(
                partition=part, covered=covered.get(part, []), released=released.get(part, [])
            )
            sent.append(await self.outbox.verdicts(verdicts))
        await deliver_then_save(self.table, sent, changed, positions)

    def _index(self, enterprise_id: str, partition: int, state: SiteState) -> None:
        due = next_release(state)
        self.schedule.set(enterprise_id, partition, None if due is None else due.timestamp())

    def send_clocks(self, until: float) -> None:
        """One clock per presence partition with a held alarm due by `until`."""
        for partition in self.schedule.partitions_due(until):
            self.outbox.site_clock(partition, datetime.fromtimestamp(until, UTC))

    def revoked(self, partitions: Iterable[int]) -> None:
        self.schedule.forget_partitions(set(partitions))

    def reindex(self, assigned: set[int]) -> None:
        """After a rebalance: the held alarms of the sites on this worker's partitions."""
        for key, stored in self.table.items():
            if is_position_key(key) or stored is None:
                continue
            partition = key_partition(key, self.topology.partitions)
            if partition in assigned:
                state = SiteState.model_validate_json(stored)
                if state.held:
                    self._index(key.decode(), partition, state)


async def deliver_then_save(
    table: StateTable,
    sent: Iterable[Awaitable[Any]],
    changed: Mapping[bytes, tuple[BaseModel, int]],
    positions: Positions,
) -> None:
    """Output first, states second, positions last: the changelog must never run ahead of the
    outputs. Were a state saved first, a crash before its events reached Kafka would restore a
    state that drops the redelivered input as a duplicate, and the events would be lost; were a
    position saved before its states, a restart would resume past inputs whose states were
    never stored. Awaited once per batch, not per message, so a burst (a county-wide outage, a
    restart's backlog) does not pay one broker round trip per message."""
    for delivered in sent:
        await delivered
    for key, (state, partition) in changed.items():
        await table.put(key, state.model_dump_json().encode(), partition)
    for (topic, partition), next_offset in positions.items():
        await table.put(position_key(topic, partition), encode_position(next_offset), partition)


def key_partition(key: bytes, partitions: int) -> int:
    """Kafka's default partitioner (murmur2), as every producer of our topics uses it."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions
