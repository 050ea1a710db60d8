"""The process's single consumer of the alarm-event topic and its fan-out to subscribers.

The consumer runs in a thread (kafka-python is blocking); each subscriber is an asyncio queue
fed through `call_soon_threadsafe`. A subscriber whose queue is full is dropped (and told so)
instead of slowing the consumer for everyone.

The worker is at-least-once: after a crash it sends some events again, with the same
`event_id`. The hub remembers the ids it has fanned out recently and passes a repeat to nobody,
so no person and no client ever sees one event twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from alerts.feed.position import Position
from schemas.kafka_access import KafkaAccess

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedEvent:
    partition: int
    offset: int
    event: dict[str, Any]


DROPPED = object()  # sentinel put on a queue whose subscriber fell behind


class RecentIds:
    """The last `size` event ids seen: a repeat within them is a redelivery."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen(self, event_id: object) -> bool:
        """True when `event_id` was seen already; remembers it otherwise."""
        if not isinstance(event_id, str):
            return False
        if event_id in self._ids:
            return True
        self._ids[event_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return False


def unique(items: Iterable[FeedEvent], recent: RecentIds) -> list[FeedEvent]:
    return [item for item in items if not recent.seen(item.event.get("event_id"))]


@dataclass(eq=False)
class Subscription:
    queue: asyncio.Queue[object]
    loop: asyncio.AbstractEventLoop
    start: Position
    dropped: bool = field(default=False)


class Hub:
    def __init__(
        self,
        kafka: KafkaAccess,
        topic: str,
        queue_size: int,
        on_drop: Callable[[], None] = lambda: None,
        attempt_s: float = 10.0,
    ) -> None:
        self.kafka = kafka
        self.topic = topic
        self.attempt_s = attempt_s  # how long one try to reach the topic may wait
        self.queue_size = queue_size
        self.on_drop = on_drop
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self.partitions = 0
        self._position = Position(())
        self._recent = RecentIds()
        self.repeats = 0  # redelivered events held back
        self._thread = threading.Thread(target=self._run, name="feed-hub", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self._thread.is_alive()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def subscribe(self) -> Subscription:
        """A live subscription; its `start` is the position the hub delivers from."""
        loop = asyncio.get_running_loop()
        with self._lock:
            sub = Subscription(asyncio.Queue(self.queue_size), loop, self._position)
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def _run(self) -> None:
        consumer = self._follow()
        if consumer is None:
            return
        while not self._stop.is_set():
            for tp, records in consumer.poll(timeout_ms=200).items():
                for record in records:
                    self._publish(FeedEvent(tp.partition, record.offset, json.loads(record.value)))
        consumer.close()

    def _follow(self) -> KafkaConsumer | None:
        """A consumer at the end of every partition of the topic. Kafka may be starting, busy or
        not yet know the topic: a feed that gave up there would be dead for the process's life
        (no live board, readyz failing), so it tries again each second until it is stopped."""
        while not self._stop.is_set():
            consumer = None
            try:
                consumer = KafkaConsumer(
                    **self.kafka.client_options(),
                    enable_auto_commit=False,
                    group_id=None,
                    client_id="hw-alerts-feed",
                    bootstrap_timeout_ms=int(self.attempt_s * 1000),
                    request_timeout_ms=int(self.attempt_s * 1000),
                )
                found = sorted(consumer.partitions_for_topic(self.topic) or [])
                if not found:
                    raise KafkaError(f"no partitions of {self.topic} known yet")
                partitions = [TopicPartition(self.topic, p) for p in found]
                consumer.assign(partitions)
                consumer.seek_to_end(*partitions)
                ends = {tp.partition: consumer.position(tp) for tp in partitions}
            except KafkaError as exc:
                log.warning("live feed cannot follow %s yet (%s): trying again", self.topic, exc)
                if consumer is not None:
                    consumer.close()
                self._stop.wait(1.0)
                continue
            with self._lock:
                self.partitions = len(partitions)
                self._position = Position(tuple(ends[p] for p in found))
            self._ready.set()
            log.info("live feed following %s from %s", self.topic, self._position.encode())
            return consumer
        return None

    def _publish(self, item: FeedEvent) -> None:
        with self._lock:
            self._position = self._position.advanced(item.partition, item.offset)
            if self._recent.seen(item.event.get("event_id")):
                self.repeats += 1
                return
            subs = list(self._subs)
        for sub in subs:
            sub.loop.call_soon_threadsafe(self._offer, sub, item)

    def _offer(self, sub: Subscription, item: FeedEvent) -> None:
        if sub.dropped:
            return
        try:
            sub.queue.put_nowait(item)
        except asyncio.QueueFull:
            sub.dropped = True
            self.unsubscribe(sub)
            self.on_drop()
            while not sub.queue.empty():
                sub.queue.get_nowait()
            sub.queue.put_nowait(DROPPED)


def replay(
    kafka: KafkaAccess, topic: str, start: Position, stop: Position, timeout_s: float = 30.0
) -> list[FeedEvent]:
    """The events between two positions, in offset order per partition (blocking)."""
    wanted = {
        p: (start.offsets[p], stop.offsets[p])
        for p in range(len(stop.offsets))
        if start.offsets[p] < stop.offsets[p]
    }
    if not wanted:
        return []
    consumer = KafkaConsumer(
        **kafka.client_options(),
        enable_auto_commit=False,
        group_id=None,
        client_id="hw-alerts-replay",
    )
    try:
        tps = {p: TopicPartition(topic, p) for p in wanted}
        consumer.assign(list(tps.values()))
        for p, tp in tps.items():
            consumer.seek(tp, wanted[p][0])
        out: list[FeedEvent] = []
        remaining = set(wanted)
        deadline = time.monotonic() + timeout_s
        while remaining and time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=1000)
            if not batch:
                continue
            for tp, records in batch.items():
                for record in records:
                    if record.offset < wanted[tp.partition][1]:
                        out.append(FeedEvent(tp.partition, record.offset, json.loads(record.value)))
                if consumer.position(tp) >= wanted[tp.partition][1]:
                    remaining.discard(tp.partition)
                    consumer.pause(tp)
        return out
    finally:
        consumer.close()


def position_at(kafka: KafkaAccess, topic: str, timestamp_ms: int, end: Position) -> Position:
    """The feed position of the first event at or after `timestamp_ms` on every partition
    (`end`'s offset where there is none), for a client that starts from a moment (blocking)."""
    consumer = KafkaConsumer(
        **kafka.client_options(),
        enable_auto_commit=False,
        group_id=None,
        client_id="hw-alerts-replay",
    )
    try:
        tps = [TopicPartition(topic, p) for p in range(len(end.offsets))]
        found = consumer.offsets_for_times({tp: timestamp_ms for tp in tps})
        return Position(
            tuple(
                min(found[tp].offset, end.offsets[tp.partition])
                if found.get(tp) is not None
                else end.offsets[tp.partition]
                for tp in tps
            )
        )
    finally:
        consumer.close()
