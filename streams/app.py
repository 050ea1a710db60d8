"""The faust app: topics, tables, thin agents, timers and the HTTP endpoints.

Failure policy (faust acks a message even when the agent raises): every message is handled in
its own try/except (streams.processor); a failure becomes a dead letter on `hw.rejected.v1`
(source "streams", reason "stream_error"), a metric, and processing goes on. Agents run with
concurrency=1 (faust-streaming #606): scale by partitions and workers. Delivery is
at-least-once (no exactly_once guarantee); deterministic event ids make redelivery harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import faust
from faust.types import TP
from prometheus_client import generate_latest

from schemas.deadlines import Deadlines
from streams.directory import StaticDirectory
from streams.intake import Intake
from streams.lag import Progress, StallGuard, lag_by_topic
from streams.liveness import Liveness
from streams.metrics import StreamsMetrics
from streams.processor import DeviceProcessor, Outbox, SiteProcessor
from streams.redelivery import hand_over_refetches
from streams.settings import StreamsSettings
from streams.tables import ChangelogTable, LocalTable, StateTable
from streams.topology import TABLES, Topology

log = logging.getLogger(__name__)
_EXPOSITION = "text/plain; version=0.0.4"
_GAUGE_PERIOD_S = 5.0


def create_app(
    settings: StreamsSettings,
    instance: int,
    directory: StaticDirectory,
    metrics: StreamsMetrics,
    refresh_registry: Callable[[], None] | None = None,
    deadlines: Deadlines | None = None,
) -> faust.App:
    topology = Topology.of(settings)
    app = _faust_app(settings, topology, instance)
    topics = _Topics(app, topology)
    # Before the consumer's fetch loop starts: what a seek back refetches must reach the agents.
    hand_over_refetches(app.consumer, (topology.readings, topology.commands, topology.ticks,
                                       topology.presence))
    outbox = Outbox(topology, topics.send, metrics, topics.send_soon)
    device_table, site_table = (_table(app, name, topology, settings) for name in TABLES)
    changelogs = topology.changelogs()  # in the order of TABLES
    devices = DeviceProcessor(
        topology, device_table, directory, metrics, outbox, deadlines or Deadlines()
    )
    sites = SiteProcessor(topology, site_table, directory, outbox)
    progress, guard = Progress(), StallGuard(settings.streams_stall_after_s)
    # One Progress serves both agents: it is keyed by topic, and their topics differ.
    device_intake = Intake("devices", device_table, progress)
    site_intake = Intake("sites", site_table, progress)
    intakes = {
        topology.readings: device_intake, topology.commands: device_intake,
        topology.ticks: device_intake, topology.presence: site_intake,
    }
    batch_max, within = settings.streams_batch_max, settings.streams_batch_within_s
    liveness = Liveness(settings.streams_liveness_periods, settings.streams_liveness_min_s)
    for agent_name in _AGENT_TOPICS:
        liveness.agent(agent_name, _GAUGE_PERIOD_S)
    liveness.timer("clock", settings.streams_timer_period_s)
    liveness.timer("mend", progress.quiet_s)
    liveness.timer("gauges", _GAUGE_PERIOD_S)
    guarded = _Guard(app, liveness)

    # take_events acks a batch only after the loop body returns; what resumes a restarted
    # worker is the position stored with the states (streams.positions), not faust's commit.
    @app.agent(topics.device_inputs, concurrency=1)
    async def device_agent(stream: Any) -> None:
        async for events in stream.take_events(batch_max, within):
            liveness.begin("devices")
            await device_intake.take(events, devices.process)
            liveness.beat("devices")

    @app.agent(topics.presence, concurrency=1)
    async def site_agent(stream: Any) -> None:
        async for events in stream.take_events(batch_max, within):
            liveness.begin("sites")
            await site_intake.take(events, sites.process)
            liveness.beat("sites")

    # Tables can only be written inside stream iteration: the timer only sends sweeps.
    @app.timer(interval=settings.streams_timer_period_s)  # type: ignore[untyped-decorator]
    async def clock() -> None:
        async with guarded("clock"):
            devices.send_sweeps(caught_up)
            sites.send_clocks(devices.swept_until(time.time()))

    def caught_up(partition: int) -> bool:
        """Whether the agent has applied every reading of the partition that the consumer's
        last fetch knew of (no fetch yet, or no position yet: not caught up)."""
        tp = TP(topology.readings, partition)
        if tp not in app.consumer.assignment():  # revoked since it was indexed
            return False
        end = app.consumer.highwater(tp)
        position = progress.next_offset((topology.readings, partition))
        if end is None or position is None:
            return end == 0
        return position >= end

    @app.timer(interval=progress.quiet_s)  # type: ignore[untyped-decorator]
    async def mend() -> None:
        async with guarded("mend"):
            await _mend(app, progress, metrics, progress.holes_to_mend(time.monotonic()),
                        "were never handed to the agent")

    @app.timer(interval=_GAUGE_PERIOD_S)  # type: ignore[untyped-decorator]
    async def gauges() -> None:
        async with guarded("gauges"):
            devices.census.publish(metrics)
            lag = await _watch_partitions(app, intakes, progress, guard, metrics)
            if lag is not None:
                for agent_name, inputs in _AGENT_TOPICS.items():
                    waiting = any(lag.get(getattr(topology, t), 0) > 0 for t in inputs)
                    liveness.waiting(agent_name, waiting)

    if refresh_registry is not None:
        liveness.timer("registry", settings.streams_registry_refresh_s)

        @app.timer(interval=settings.streams_registry_refresh_s)  # type: ignore[untyped-decorator]
        async def registry_refresh() -> None:
            async with guarded("registry"):
                await asyncio.to_thread(refresh_registry)

    def revoked(sender: Any, /, *args: Any, **kwargs: Any) -> None:
        gone = kwargs.get("revoked", ())
        devices.revoked(tp.partition for tp in gone)
        sites.revoked(tp.partition for tp in gone if tp.topic == topology.presence)
        # What is not acknowledged yet of a partition that moved must not be served any more.
        for table, changelog in ((device_table, changelogs[0]), (site_table, changelogs[1])):
            table.revoked({tp.partition for tp in gone if tp.topic == changelog})
        progress.forget((tp.topic, tp.partition) for tp in gone)
        guard.forget((tp.topic, tp.partition) for tp in gone)

    def rebalanced(sender: Any, /, *args: Any, **kwargs: Any) -> None:
        # The device partitions only: the presence topic (another agent) and faust's own topics
        # are assigned independently, and their partition numbers say nothing of devices.
        assigned = app.consumer.assignment()
        devices.reindex({tp.partition for tp in assigned if tp.topic == topology.readings})
        sites.reindex({tp.partition for tp in assigned if tp.topic == topology.presence})
        liveness.rest()  # the reindex and the rebalance held every loop up

    app.on_partitions_revoked.connect(revoked)
    app.on_rebalance_complete.connect(rebalanced)
    _web(app, metrics, liveness)
    return app


# Which input topics (Topology attributes) each agent reads: input waiting there is its work.
_AGENT_TOPICS = {"devices": ("readings", "commands", "ticks"), "sites": ("presence",)}


class _Guard:
    """Runs a timer's body: a run that completes beats its loop (streams.liveness); one that
    fails is logged and the timer goes on. Without this, an exception would crash the worker
    and a CancelledError (an await cancelled under it, as around a rebalance) would end the
    timer for good without a word: the silent worker."""

    def __init__(self, app: faust.App, liveness: Liveness) -> None:
        self._app, self._liveness = app, liveness

    def __call__(self, name: str) -> _Run:
        return _Run(self._app, self._liveness, name)


class _Run:
    def __init__(self, app: faust.App, liveness: Liveness, name: str) -> None:
        self._app, self._liveness, self._name = app, liveness, name

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: Any) -> bool:
        if exc is None:
            self._liveness.beat(self._name)
            return False
        if isinstance(exc, asyncio.CancelledError):
            if self._app.should_stop:
                return False
            log.warning("timer %s: a run was cancelled; the timer goes on", self._name)
            return True
        if isinstance(exc, Exception):
            log.error("timer %s: a run failed; the timer goes on", self._name, exc_info=exc)
            return True
        return False


async def _mend(
    app: faust.App,
    progress: Progress,
    metrics: StreamsMetrics,
    holes: Sequence[tuple[tuple[str, int], int]],
    why: str,
) -> None:
    """Seeks each partition back to the first offset its agent never saw (one round trip)."""
    if not holes:
        return
    wanted = {TP(topic, partition): offset for (topic, partition), offset in holes}
    earliest = await app.consumer.earliest_offsets(*wanted)
    seeks = {}
    for tp, offset in wanted.items():
        first = earliest.get(tp, 0)
        if first > offset:
            # Retention deleted them while we were behind (or before this app ever ran):
            # nothing left to refetch; resume at the log's start.
            if offset > 0:
                log.error("%s[%d]: offsets %d..%d left the log before they were processed",
                          tp.topic, tp.partition, offset, first - 1)
            progress.start((tp.topic, tp.partition), first)
            offset = first
        else:
            log.warning("%s[%d]: messages from offset %d %s: seeking back", tp.topic,
                        tp.partition, offset, why)
            metrics.partition_stalls.labels(tp.topic).inc()
        seeks[tp] = offset
    if seeks:
        await app.consumer.seek_wait(seeks)


async def _watch_partitions(
    app: faust.App,
    intakes: Mapping[str, Intake],
    progress: Progress,
    guard: StallGuard,
    metrics: StreamsMetrics,
) -> dict[str, int] | None:
    """Publishes the lag per input topic and unsticks partitions that stopped moving.
    Returns the lag per topic once the tables are recovered (before, agents cannot run)."""
    if app.rebalancing:
        return None
    consumer = app.consumer
    # Changelogs and faust's own topics are assigned too, but no agent reads them.
    inputs = [tp for tp in consumer.assignment() if tp.topic in intakes]
    if not inputs:
        return None
    recovered = app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]
    if recovered:
        for tp in inputs:
            intakes[tp.topic].start((tp.topic, tp.partition))
    highwaters = await consumer.highwaters(*inputs)
    ends = {(tp.topic, tp.partition): end for tp, end in highwaters.items()}
    # Partitions not started yet (recovery still running) have no stored position to hand:
    # faust's committed offset stands in for the lag until they do.
    committed = getattr(consumer, "_committed_offset", {})
    positions: dict[tuple[str, int], int] = {}
    # Only started partitions can be stalled: elsewhere "not moving" may just
    # mean "not reached yet" behind a backlog, and seeking would restart their work from scratch.
    processed: dict[tuple[str, int], int] = {}
    for tp in inputs:
        key = (tp.topic, tp.partition)
        position = progress.next_offset(key)
        if position is not None:
            processed[key] = position
        else:
            position = committed.get(tp)
        if position is None:
            position = await consumer.position(tp)
        if position is not None:
            positions[key] = position
    lag = lag_by_topic(ends, positions)
    for topic, behind in lag.items():
        metrics.consumer_lag.labels(topic).set(behind)
    await _mend(app, progress, metrics, guard.stalled(ends, processed, time.monotonic()),
                f"have waited {guard.after_s:.0f} s without progress")
    return lag if recovered else None


def _faust_app(settings: StreamsSettings, topology: Topology, instance: int) -> faust.App:
    # One folder per app and instance: RocksDB locks its files, and two apps' tables share names.
    datadir = Path(settings.streams_data_dir) / topology.app_id / f"worker-{instance}"
    datadir.mkdir(parents=True, exist_ok=True)
    static = settings.streams_static_membership
    return faust.App(
        topology.app_id,
        broker=[f"kafka://{host}" for host in settings.kafka_bootstrap.split(",")],
        store=settings.streams_store,
        datadir=str(datadir),
        broker_session_timeout=settings.streams_session_timeout_s,
        broker_heartbeat_interval=settings.streams_heartbeat_interval_s,
        consumer_group_instance_id=_instance_id(topology, settings, instance) if static else None,
        topic_partitions=topology.partitions,
        # What faust would create itself, replicated like the topics topology.py creates first.
        topic_replication_factor=settings.kafka_replication,
        key_serializer="raw",
        value_serializer="raw",
        table_standby_replicas=0,
        consumer_auto_offset_reset="earliest",
        web_bind="127.0.0.1",
        web_host="127.0.0.1",
        web_port=settings.http_port(instance),
        web_enabled=True,
        producer_linger_ms=settings.streams_producer_linger_ms,
        broker_credentials=settings.kafka.faust_credentials(),  # None: plain text
    )


def _instance_id(topology: Topology, settings: StreamsSettings, instance: int) -> str:
    """The worker's static group membership id. The broker hands a returning member its last
    assignment as is, and faust's assignor insists that it names this worker's own web URL:
    the port is part of the identity, so a worker restarted on another port joins as a new
    member (the old one expires after the session timeout) instead of failing to join."""
    return f"{topology.app_id}-worker-{instance}-{settings.http_port(instance)}"


# 24 small databases (2 tables x 12 partitions) per worker: faust's defaults (64 MiB write
# buffers, a 2 GiB block cache each) are sized for one big table.
_ROCKSDB_OPTIONS = {
    "write_buffer_size": 4 << 20,
    "max_write_buffer_number": 2,
    "target_file_size_base": 8 << 20,
    "block_cache_size": 8 << 20,
}


def _table(
    app: faust.App, name: str, topology: Topology, settings: StreamsSettings
) -> StateTable:
    local = settings.streams_store.startswith("rocksdb")
    # Values are the states' own JSON; bytes types make faust use its "raw" codec.
    table = app.Table(
        name, partitions=topology.partitions, key_type=bytes, value_type=bytes,
        options=dict(_ROCKSDB_OPTIONS) if local else None,
    )
    changelog = table.changelog_topic.get_topic_name()

    async def send(key: bytes, value: bytes, partition: int) -> Awaitable[Any]:
        return await app.producer.send(changelog, key, value, partition, None, None)

    return LocalTable(table, send) if local else ChangelogTable(table, send)


class _Topics:
    def __init__(self, app: faust.App, topology: Topology) -> None:
        self._app = app
        partitions = topology.partitions
        # Readings, commands and ticks of a device share its partition: one writer per key.
        self.device_inputs = app.topic(
            topology.readings, topology.commands, topology.ticks, partitions=partitions
        )
        self.presence = app.topic(topology.presence, partitions=partitions)

    async def send(
        self, topic: str, key: bytes | None, value: bytes, partition: int | None = None
    ) -> Awaitable[Any]:
        # Straight to the producer: faust's Topic.send wraps every message in futures and
        # channels of its own, about a third of the cost of a send here. Values are bytes
        # already, and the partitioner is the same (murmur2 of the key).
        return await self._app.producer.send(topic, key, value, partition, None, None)

    def send_soon(self, topic: str, key: bytes, value: bytes, partition: int) -> None:
        # Straight to the producer too, not through faust's send_soon buffer: that buffer is
        # drained by a background task of faust's own, and a sweep stuck behind it (or lost
        # with it) is a worker whose timers seem not to run.
        sending = asyncio.ensure_future(
            self._app.producer.send(topic, key, value, partition, None, None)
        )
        sending.add_done_callback(_log_failed_send)


def _log_failed_send(sending: asyncio.Future[Any]) -> None:
    if not sending.cancelled() and sending.exception() is not None:
        log.warning("a sweep was not sent (the timer sends it again): %r", sending.exception())


def _web(app: faust.App, metrics: StreamsMetrics, liveness: Liveness) -> None:
    def check() -> list[str]:
        stopped, newly = liveness.check()
        for name in newly:
            log.error("%s has not run for too long: /readyz fails until it does", name)
            metrics.loop_stops.labels(name).inc()
        metrics.loop_stopped.clear()
        for name in stopped:
            metrics.loop_stopped.labels(name).set(1)
        return stopped

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        check()
        # aiohttp refuses a charset inside content_type; the exposition format is UTF-8 anyway.
        return web.bytes(generate_latest(metrics.registry), content_type=_EXPOSITION)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        stopped = check()
        recovered = app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]
        ready = recovered and not app.rebalancing and bool(app.consumer.assignment())
        ready = ready and not stopped
        return web.json({"ready": ready, "stopped": stopped}, status=200 if ready else 503)
