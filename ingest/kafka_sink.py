"""The Kafka side of the gateway: an idempotent producer with acks=all (kafka-python 3 defaults,
kept), tuned to batch for throughput."""

from __future__ import annotations

from collections.abc import Callable

from kafka import KafkaProducer
from kafka.errors import KafkaError


class KafkaSink:
    def __init__(self, bootstrap: str, client_id: str) -> None:
        self.producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            client_id=client_id,
            acks="all",
            linger_ms=5,
            batch_size=256 * 1024,
            # Blocking the MQTT network thread for long would drop our broker session; a
            # full buffer is a Kafka outage and is handled as one.
            max_block_ms=10_000,
        )

    def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        on_success: Callable[[], None],
        on_failure: Callable[[Exception], None],
    ) -> None:
        try:
            future = self.producer.send(topic, key=key, value=value)
        except KafkaError as exc:
            on_failure(exc)
            return
        future.add_callback(lambda _metadata: on_success())
        future.add_errback(on_failure)

    def reachable(self, topic: str) -> bool:
        """Metadata for `topic` can be fetched: Kafka answers again after an outage."""
        try:
            return bool(self.producer.partitions_for(topic))
        except KafkaError:
            return False

    def close(self) -> None:
        self.producer.close(timeout=10)
