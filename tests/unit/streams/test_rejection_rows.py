"""The rejections sink's record -> row step (pure): the Kafka position is the key, the payload
is decoded from base64, and a value that is no rejected message is kept for the admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from schemas.rejected import RejectedMessage, RejectReason
from streams.sinks.rejections import row_of


@dataclass(frozen=True)
class FakeRecord:
    topic: str
    partition: int
    offset: int
    value: bytes


def test_a_rejected_message_becomes_its_row() -> None:
    at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    value = RejectedMessage(
        raw_b64=RejectedMessage.b64(b'{"seq": "x"}'),
        mqtt_topic="hw/v1/E1/GD-1/telemetry",
        reason=RejectReason.SCHEMA,
        detail="seq: Input should be a valid integer",
        received_at=at,
        device_id="GD-1",
        enterprise_id="E1",
    ).encode()
    row = row_of(FakeRecord("hw.rejected.v1", 3, 41, value))
    assert (row.kafka_topic, row.kafka_partition, row.kafka_offset) == ("hw.rejected.v1", 3, 41)
    assert (row.enterprise_id, row.device_id, row.reason) == ("E1", "GD-1", "schema")
    assert row.received_at == at and row.payload == b'{"seq": "x"}'


def test_a_value_that_is_no_rejected_message_is_kept_without_enterprise() -> None:
    row = row_of(FakeRecord("hw.rejected.v1", 0, 7, b"\x00garbage"))
    assert row.enterprise_id is None and row.reason == "sink_error"
    assert row.payload == b"\x00garbage" and row.source == "sinks"

