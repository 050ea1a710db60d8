"""MQTT topics of the device contract: `hw/v1/{enterprise_id}/{device_id}/{channel}` and a field
gateway's `hw/v1/{enterprise_id}/{gateway_id}/batch`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemas.families import Channel

BATCH = "batch"
_ID = r"[A-Za-z0-9_-]{1,64}"
_TOPIC = re.compile(rf"^hw/v1/(?P<enterprise>{_ID})/(?P<sender>{_ID})/(?P<channel>[a-z]+)$")
_CHANNELS = {c.value for c in Channel} | {BATCH}


@dataclass(frozen=True, slots=True)
class Address:
    enterprise_id: str
    sender_id: str  # a device id, or a field gateway's id on the batch channel
    channel: str  # a Channel value or "batch"

    @property
    def is_batch(self) -> bool:
        return self.channel == BATCH


def parse_topic(topic: str) -> Address | None:
    match = _TOPIC.match(topic)
    if match is None or match["channel"] not in _CHANNELS:
        return None
    return Address(match["enterprise"], match["sender"], match["channel"])
