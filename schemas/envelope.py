"""The value of `hw.readings.v1`: a validated reading with who sent it and when it arrived."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.families import Channel, Family

Division = Annotated[str, Field(pattern=r"^\d{12}$")]


class ReadingEnvelope(BaseModel):
    """Keyed by `device_id` on Kafka. `payload` is the validated message without `ts`/`seq`
    (those are lifted here); `seq` is None only for the `status` channel (the Last Will has no
    sequence: the broker, not the device, publishes it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device_id: str
    enterprise_id: str
    family: Family
    division: Division
    channel: Channel
    ts: AwareDatetime
    seq: int | None
    received_at: AwareDatetime
    gateway_id: str | None = None
    payload: dict[str, Any]

    def encode(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def decode(cls, raw: bytes | str) -> ReadingEnvelope:
        return cls.model_validate_json(raw)
