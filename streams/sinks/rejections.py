"""The rejections sink: `hw.rejected.v1` -> the `rejections` table (last 7 days), so an
integrator reads why a device is refused through the API instead of from Kafka.

Its own consumer group and thread beside the readings/events sink: a burst of rejections
(a misconfigured fleet) never delays readings, and a reading backlog never delays the answer
a firmware engineer is waiting for. Same order as the main sink: database commit first, Kafka
offsets second; the Kafka position is the row's key, so a redelivered batch adds nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from pydantic import ValidationError

from schemas.kafka_access import KafkaAccess
from schemas.rejected import RejectedMessage, RejectReason
from storage import rejections
from storage.datastore import Datastore
from streams.sinks.batch import Record
from streams.sinks.metrics import SinkMetrics
from streams.sinks.offsets import commit_stored

log = logging.getLogger(__name__)
TABLE = "rejections"
GROUP_SUFFIX = "-rejections"


def row_of(record: Record) -> rejections.RejectionRow:
    """One Kafka record as a row; a value that is no RejectedMessage is kept too (for the
    admins: no enterprise), never allowed to stop the sink."""
    try:
        msg = RejectedMessage.model_validate_json(record.value)
    except ValidationError as exc:
        detail = f"not a rejected-message value: {exc.errors()[0]['msg']}"
        return rejections.RejectionRow(
            record.topic, record.partition, record.offset, datetime.now(UTC), None, None,
            RejectReason.SINK_ERROR.value, detail, None, "sinks", record.value or b"",
        )  # fmt: skip
    return rejections.RejectionRow(
        kafka_topic=record.topic,
        kafka_partition=record.partition,
        kafka_offset=record.offset,
        received_at=msg.received_at,
        enterprise_id=msg.enterprise_id,
        device_id=msg.device_id,
        reason=msg.reason.value,
        detail=msg.detail,
        mqtt_topic=msg.mqtt_topic,
        source=msg.source,
        payload=msg.raw(),
    )


class RejectionSink:
    def __init__(
        self,
        consumer: KafkaConsumer,
        datastore: Datastore,
        metrics: SinkMetrics,
        *,
        topic: str,
        max_batch: int = 1000,
        poll_timeout_ms: int = 500,
        expire_every_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.consumer = consumer
        self.datastore = datastore
        self.metrics = metrics
        self.topic = topic
        self.max_batch = max_batch
        self.poll_timeout_ms = poll_timeout_ms
        self.expire_every_s = expire_every_s
        self.clock = clock
        self.stopping = False
        self._next_expiry = 0.0

    def run(self) -> None:
        # Ask for the topic's metadata first: a group joined before the client knows the
        # topic's partitions is assigned nothing until the next refresh (minutes).
        self.consumer.partitions_for_topic(self.topic)
        self.consumer.subscribe([self.topic])
        try:
            while not self.stopping:
                try:
                    self.step()
                except Exception:  # a broken poll must not end the thread unseen
                    log.exception("rejections sink step failed; retrying in 1 s")
                    time.sleep(1.0)
        finally:
            self.consumer.close()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="sink-rejections", daemon=True)
        thread.start()
        return thread

    def step(self) -> None:
        polled = self.consumer.poll(timeout_ms=self.poll_timeout_ms, max_records=self.max_batch)
        records: list[Any] = [r for batch in polled.values() for r in batch]
        expire = self.clock() >= self._next_expiry
        if not records and not expire:
            return
        try:
            written = self._store(records, expire)
        except Exception:
            # Read again from the first record of the batch: the position moved past it.
            log.exception("storing %d rejections failed; retrying", len(records))
            for tp, batch in polled.items():
                self.consumer.seek(TopicPartition(tp.topic, tp.partition), batch[0].offset)
            time.sleep(1.0)
            return
        if expire:
            self._next_expiry = self.clock() + self.expire_every_s
        if records:
            commit_stored(self.consumer, self.metrics.commit_failures)
            self.metrics.rows_written.labels(table=TABLE).inc(written)
            self.metrics.batch_rows.labels(table=TABLE).observe(len(records))

    def _store(self, records: list[Record], expire: bool) -> int:
        now = datetime.now(UTC)
        # A backlog older than the week would be deleted by the next expiry: never stored.
        rows = [r for r in map(row_of, records) if r.received_at >= now - rejections.KEEP]

        def work(conn: Any) -> int:
            if expire:
                rejections.expire(conn, now)
            return rejections.write(conn, rows)

        written: int = self.datastore.run(work)
        return written


def consumer_for(kafka: KafkaAccess, group_id: str, max_batch: int) -> KafkaConsumer:
    """The sink's consumer: manual commits after the database, from the topic's start."""
    return KafkaConsumer(
        **kafka.client_options(),
        group_id=group_id + GROUP_SUFFIX,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_batch,
    )
