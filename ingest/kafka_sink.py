"""The Kafka side of the gateway: an idempotent producer with acks=all (kafka-python 3 defaults,
kept), tuned to batch for throughput, and told of completion once per produce batch.

kafka-python resolves one future per record and would call our callbacks once per record; at
thousands of readings a second that bookkeeping (and its lambdas) was a measured share of a
reading's time. Every record of a produce batch succeeds or fails together, so `send` files its
token under the record's batch and the batch's own completion hands all its tokens to
`on_done` (or the error to `on_failure`) in one call. Records keep Kafka's order per partition
(the key is the device), so per device order is as before.

Also off the per-record path: the producer's own metrics sensors (we export ours), murmur2
in pure Python per record (the partition of a key is remembered; partition counts do not
change under a running gateway, and a stale entry is dropped every `_PARTITIONS_TTL_S`), and
the producer's wake-up of its I/O thread for every new batch (see `_wake_by_clock`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.partitioner.default import DefaultPartitioner

from schemas.kafka_access import KafkaAccess

T = TypeVar("T")
_PARTITIONS_TTL_S = 30.0


class KafkaSink(Generic[T]):
    def __init__(
        self,
        kafka: KafkaAccess,
        client_id: str,
        on_done: Callable[[list[T]], None],
        on_failure: Callable[[Exception], None],
        linger_ms: int = 10,
    ) -> None:
        self.producer = KafkaProducer(
            **kafka.client_options(),
            client_id=client_id,
            acks="all",
            linger_ms=linger_ms,
            batch_size=256 * 1024,
            # Blocking the MQTT network thread for long would drop our broker session; a
            # full buffer is a Kafka outage and is handled as one.
            max_block_ms=10_000,
            metrics_enabled=False,
            partitioner=_RememberingPartitioner(),
        )
        _wake_by_clock(self.producer, max(linger_ms, 5))
        self._on_done = on_done
        self._on_failure = on_failure
        self._lock = threading.Lock()
        self._open: dict[int, list[T]] = {}  # id(produce batch future) -> its tokens

    def send(self, topic: str, key: bytes | None, value: bytes, token: T) -> None:
        """Queues a record; `token` goes to `on_done` once Kafka has its whole batch."""
        try:
            future = self.producer.send(topic, key=key, value=value)
        except KafkaError as exc:
            self._on_failure(exc)
            return
        batch = future._produce_future  # the produce batch this record was appended to
        with self._lock:
            # Under the lock: the batch's completion takes the same lock to collect its
            # tokens, so a token is either collected by it or sees the batch done here.
            done = batch.is_done
            if not done:
                tokens = self._open.get(id(batch))
                first = tokens is None
                if first:
                    tokens = self._open[id(batch)] = []
                tokens.append(token)  # type: ignore[union-attr]
        if done:
            self._settle(batch, [token])
        elif first:
            batch.add_both(self._batch_done, batch)

    def _batch_done(self, batch: Any, _result: Any) -> None:
        with self._lock:
            tokens = self._open.pop(id(batch), [])
        self._settle(batch, tokens)

    def _settle(self, batch: Any, tokens: list[T]) -> None:
        if batch.failed():
            self._on_failure(batch.exception)
            return
        _offset, _ts, record_errors = batch.value
        if record_errors is not None:  # some records of the batch refused: redeliver them all
            self._on_failure(record_errors(0) or KafkaError("a record of the batch was refused"))
            return
        if tokens:
            self._on_done(tokens)

    def reachable(self, topic: str) -> bool:
        """Metadata for `topic` can be fetched: Kafka answers again after an outage."""
        try:
            return bool(self.producer.partitions_for(topic))
        except KafkaError:
            return False

    def close(self) -> None:
        self.producer.close(timeout=10)


def _wake_by_clock(producer: KafkaProducer, every_ms: int) -> None:
    """The producer's I/O thread wakes every `every_ms` instead of on every new batch.

    kafka-python's `send` writes a byte to the thread's wake-up socket whenever a record opens
    a new batch: with 12 partitions and a linger of some ms that is nearly every record, and
    each wake-up is a syscall here plus a loop of the I/O thread (its selector, a socket repr
    per registration): the largest single share of the gateway's profile (issue 15). A batch
    waits for its linger anyway, so the thread need not hear of it at once; it only must not
    sleep longer than a linger, which the cap on its poll timeout ensures. Flush and close
    still work: the thread sees them at its next tick. Reaches into the producer's sender
    (`_sender`, `_send_producer_data`); tests/integration/ingest prove order, outage and
    kill -9 behaviour on it.
    """
    sender = producer._sender
    plan = sender._send_producer_data

    def capped(*args: Any, **kwargs: Any) -> Any:
        timeout_ms = plan(*args, **kwargs)
        return every_ms if timeout_ms is None else min(timeout_ms, every_ms)

    sender._send_producer_data = capped
    sender.wakeup = lambda: None


class _RememberingPartitioner(DefaultPartitioner):  # type: ignore[misc]
    """Java's default (murmur2 of the key), computed once per key."""

    def __init__(self) -> None:
        super().__init__()
        self._known: dict[tuple[str, bytes], int] = {}
        self._forget_at = time.monotonic() + _PARTITIONS_TTL_S

    def partition(
        self,
        topic: str,
        key: Any,
        serialized_key: bytes | None,
        value: Any,
        serialized_value: Any,
        cluster: Any,
    ) -> int:
        if serialized_key is None:
            return int(super().partition(topic, key, None, value, serialized_value, cluster))
        now = time.monotonic()
        if now > self._forget_at:
            self._known = {}
            self._forget_at = now + _PARTITIONS_TTL_S
        partition = self._known.get((topic, serialized_key))
        if partition is None:
            partition = int(
                super().partition(topic, key, serialized_key, value, serialized_value, cluster)
            )
            self._known[(topic, serialized_key)] = partition
        return partition
