"""Human commands onto `hw.alarm-commands.v1`, keyed by the alarm's device (its single writer)."""

from __future__ import annotations

from typing import Protocol

from kafka import KafkaProducer
from kafka.errors import KafkaError

from alerts.errors import Unavailable
from schemas.commands import AlarmCommand
from schemas.kafka_access import KafkaAccess


class CommandBus(Protocol):
    def send(self, command: AlarmCommand) -> None: ...


class KafkaCommandBus:
    def __init__(self, kafka: KafkaAccess, topic: str) -> None:
        self.topic = topic
        self.producer = KafkaProducer(
            **kafka.client_options(),
            acks="all",
            client_id="hw-alerts-commands",
            max_block_ms=5000,
        )

    def send(self, command: AlarmCommand) -> None:
        """Returns once Kafka has the command: a 202 then means it will be decided."""
        try:
            self.producer.send(
                self.topic, key=command.device_id.encode(), value=command.model_dump_json().encode()
            ).get(timeout=10)
        except KafkaError as exc:
            raise Unavailable("the command could not be queued; try again") from exc

    def close(self) -> None:
        self.producer.close(timeout=5)
