"""Reading envelopes as they arrive on hw.readings.v1 (docs/internals.md), for handler tests."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .factories import DIVISION, at


def envelope(
    device_id: str,
    enterprise_id: str,
    seq: int,
    seconds: float,
    payload: dict[str, Any],
    family: str = "gas",
    channel: str = "telemetry",
    received: datetime | None = None,
) -> bytes:
    return json.dumps(
        {
            "device_id": device_id,
            "enterprise_id": enterprise_id,
            "family": family,
            "division": DIVISION,
            "channel": channel,
            "ts": at(seconds).isoformat(),
            "seq": seq,
            "received_at": (received or at(seconds)).isoformat(),
            "gateway_id": None,
            "payload": payload,
        }
    ).encode()
