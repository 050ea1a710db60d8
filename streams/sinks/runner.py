"""The sink's poll -> store -> commit loop.

Order is what makes it exactly-once: the database transaction commits first, the Kafka
offsets second. A crash between the two redelivers the batch, and the unique keys make the
second write a no-op.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer

from storage.datastore import Datastore
from storage.mode import Mode
from streams.sinks import uptime
from streams.sinks.batch import Outcome, Record, store_batch
from streams.sinks.metrics import SinkMetrics
from streams.sinks.offsets import commit_stored

log = logging.getLogger(__name__)


class Sink:
    def __init__(
        self,
        consumer: KafkaConsumer,
        datastore: Datastore,
        metrics: SinkMetrics,
        *,
        readings_topic: str,
        events_topic: str,
        mode: Mode,
        max_batch: int,
        poll_timeout_ms: int,
        uptime_interval_s: float,
        crash_after_db_commit: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.consumer = consumer
        self.datastore = datastore
        self.metrics = metrics
        self.readings_topic = readings_topic
        self.events_topic = events_topic
        self.mode = mode
        self.max_batch = max_batch
        self.poll_timeout_ms = poll_timeout_ms
        self.uptime_interval_s = uptime_interval_s
        self.crash_after_db_commit = crash_after_db_commit
        self.clock = clock
        self.ready = False
        self.stopping = False
        self._next_scan = 0.0
        self._last_seen: dict[str, tuple[str, datetime]] = {}

    def run(self) -> None:
        self.consumer.subscribe([self.readings_topic, self.events_topic])
        while not self.stopping:
            self.step()

    def step(self) -> None:
        polled = self.consumer.poll(timeout_ms=self.poll_timeout_ms, max_records=self.max_batch)
        self.ready = True
        records: list[Any] = [r for batch in polled.values() for r in batch]
        if records:
            self._store(records)
            commit_stored(self.consumer, self.metrics.commit_failures)
        if self.clock() >= self._next_scan:
            self._next_scan = self.clock() + self.uptime_interval_s
            self._scan()

    def _store(self, records: list[Record]) -> None:
        started = time.perf_counter()
        outcome: Outcome = self.datastore.run(
            lambda conn: store_batch(
                conn,
                records,
                readings_topic=self.readings_topic,
                events_topic=self.events_topic,
                mode=self.mode,
            )
        )
        if self.crash_after_db_commit:
            log.warning("crash hook: exiting after the database commit, before the offsets")
            os._exit(137)
        elapsed = time.perf_counter() - started
        self._count(records, outcome, elapsed)

    def _count(self, records: list[Record], outcome: Outcome, elapsed: float) -> None:
        for topic, table in (
            (self.readings_topic, "readings"),
            (self.events_topic, "alarm_events"),
        ):
            n = sum(1 for r in records if r.topic == topic)
            if n:
                self.metrics.batch_rows.labels(table=table).observe(n)
                self.metrics.commit_latency.labels(table=table).observe(elapsed)
        for table, n in outcome.written.items():
            self.metrics.rows_written.labels(table=table).inc(n)
        for table, n in outcome.dead.items():
            self.metrics.dead_letters.labels(table=table).inc(n)
        for device, seen in outcome.last_seen.items():
            known = self._last_seen.get(device)
            if known is None or known[1] < seen[1]:
                self._last_seen[device] = seen
        for event in outcome.went_offline:
            self.metrics.offline_episodes.labels(
                township=event.division[:9], family=str(event.family)
            ).inc()

    def _scan(self) -> None:
        try:
            with self.datastore.transaction() as conn:
                uptime.scan(conn, self.metrics)
            self._update_lag()
            self._observe_last_seen()
        except Exception:  # the scan is advisory: never let it stop the sink
            log.exception("uptime/lag scan failed")

    def _observe_last_seen(self) -> None:
        now = datetime.now(UTC)
        for family, seen in self._last_seen.values():
            age = max(0.0, (now - seen).total_seconds())
            self.metrics.last_seen_age.labels(family=family).observe(age)

    def _update_lag(self) -> None:
        assigned = list(self.consumer.assignment())
        if not assigned:
            return
        ends = self.consumer.end_offsets(assigned)
        lag: dict[str, int] = {}
        for tp in assigned:
            lag[tp.topic] = lag.get(tp.topic, 0) + max(0, ends[tp] - self.consumer.position(tp))
        for topic, n in lag.items():
            self.metrics.lag.labels(topic=topic).set(n)
