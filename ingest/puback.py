"""Many PUBACKs as one write: what paho's `Client.ack` does for one message, for a list.

paho-mqtt 2.x queues one packet (and one socket write) per `ack(mid, 1)`. The MQTT 5 PUBACK
with reason "success" is the four bytes paho itself sends (0x40, remaining length 2, the packet
id, reason code omitted = success, MQTT 5 section 3.4.2.1), so a run of them concatenated is
one queued packet and one send. This reaches into paho's `_packet_queue`, the method its own
`ack` uses; `tests/integration/ingest` prove the broker takes the result.
"""

from __future__ import annotations

import struct

import paho.mqtt.client as mqtt

_PUBACK = 0x40
_ONE = struct.Struct("!BBH")


def send_pubacks(client: mqtt.Client, mids: list[int]) -> None:
    packet = b"".join(_ONE.pack(_PUBACK, 2, mid) for mid in mids)
    client._packet_queue(_PUBACK, packet, 0, 0)
