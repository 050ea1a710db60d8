"""Decoding what arrives on the worker's topics and encoding its dead letters.

Readings are read through a tolerant view of `hw.readings.v1` (docs/internals.md
"ReadingEnvelope"): the gateway has validated them; detection only needs these fields and must
keep working when the envelope gains new ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from schemas.families import Family
from schemas.rejected import RejectedMessage, RejectReason
from streams.errors import UndecodableMessage


class StreamReading(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    device_id: str
    enterprise_id: str
    family: Family
    division: str
    channel: str
    ts: AwareDatetime
    seq: int | None = None
    received_at: AwareDatetime
    payload: Mapping[str, Any] = {}


def decode_reading(topic: str, raw: bytes) -> StreamReading:
    try:
        return StreamReading.model_validate_json(raw)
    except ValidationError as exc:
        raise UndecodableMessage(topic, str(exc)) from exc


def dead_letter(topic: str, raw: bytes | None, error: BaseException) -> bytes:
    """The `hw.rejected.v1` value for a message a stream agent could not process."""
    letter = RejectedMessage(
        raw_b64=RejectedMessage.b64(raw or b""),
        mqtt_topic=topic,
        reason=RejectReason.STREAM_ERROR,
        detail=f"{type(error).__name__}: {error}"[:2000],
        received_at=datetime.now(UTC),
        source="streams",
    )
    return letter.model_dump_json().encode()
