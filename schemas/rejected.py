"""The value of `hw.rejected.v1`: what could not be taken, why, and the raw bytes to replay."""

from __future__ import annotations

import base64
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict


class RejectReason(StrEnum):
    BAD_JSON = "bad_json"
    SCHEMA = "schema"
    UNKNOWN_DEVICE = "unknown_device"
    NOT_OWNER = "not_owner"
    TOO_LARGE = "too_large"
    FUTURE_TS = "future_ts"
    RATE_LIMITED = "rate_limited"
    STREAM_ERROR = "stream_error"
    SINK_ERROR = "sink_error"


class RejectedMessage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    raw_b64: str
    mqtt_topic: str | None = None
    reason: RejectReason
    detail: str
    received_at: AwareDatetime
    source: str = "ingest"  # ingest | streams | sinks
    device_id: str | None = None
    enterprise_id: str | None = None

    @staticmethod
    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")

    def raw(self) -> bytes:
        return base64.b64decode(self.raw_b64)

    def encode(self) -> bytes:
        return self.model_dump_json().encode()
