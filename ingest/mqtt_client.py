"""The paho client the gateway reads with: paho's protocol code, a cheaper way in.

Two costs of paho-mqtt 2.x's receive path dominate a reading's MQTT share (bench/ingest/budget.py,
py-spy): (1) a packet takes one `recv` for the command byte, one per remaining-length byte and
one or more for the body, and `loop_read` reads only `len(out) + len(QoS 2 in)` packets per
wake-up, so a subscriber that publishes nothing pays five system calls and a `select` per
reading; (2) every MQTT 5 PUBLISH builds a `Properties` object (about 35 attributes set one by
one) even when, as from every detector, it carries none.

`GatewayClient` reads the socket in large chunks, hands paho its packets out of the chunk and,
once woken, reads until the socket is empty; a QoS 1 PUBLISH without properties becomes its
`MQTTMessage` directly, and every other packet goes through paho unchanged. Packets left in the
chunk are never stranded behind a `select` (which sees only the socket): `loop_read` returns only
with an empty chunk. The gateway still acknowledges each message only after Kafka has it.

This reaches into paho's `_sock_recv`, `_packet_read`, `_handle_publish` and `_loop_rc_handle`
(the version range is bounded in pyproject.toml); tests/integration/ingest/test_mqtt_client.py
proves framing, payloads and properties on the real broker, plain and over TLS.
"""

from __future__ import annotations

from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

CHUNK = 64 * 1024
# Packets read in one wake-up before the loop may write (PUBACKs) and check its keep-alive;
# it goes on past this only while the chunk still holds bytes.
MAX_PACKETS_PER_WAKE = 2_000
# What paho would give a PUBLISH without properties; shared, and never changed by the gateway.
_NO_PROPERTIES = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]


class GatewayClient(mqtt.Client):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chunk = b""
        self._at = 0

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._at >= len(self._chunk):
            chunk = super()._sock_recv(CHUNK)  # BlockingIOError when nothing is there
            if not chunk:
                return chunk  # the broker closed: paho's own "connection lost"
            self._chunk, self._at = chunk, 0
        data = self._chunk[self._at : self._at + bufsize]
        self._at += len(data)
        return data

    def _buffered(self) -> bool:
        return self._at < len(self._chunk)

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        read = 0
        while True:
            if self._sock is None:
                return MQTTErrorCode.MQTT_ERR_NO_CONN
            rc = self._packet_read()
            if rc > 0:
                return self._loop_rc_handle(rc)
            if rc == MQTTErrorCode.MQTT_ERR_AGAIN and not self._buffered():
                return MQTTErrorCode.MQTT_ERR_SUCCESS
            read += 1
            if read >= MAX_PACKETS_PER_WAKE and not self._buffered():
                return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _handle_publish(self) -> MQTTErrorCode:
        header, packet = self._in_packet["command"], self._in_packet["packet"]
        if (header & 0x06) != 0x02 or self._protocol != MQTTProtocolVersion.MQTTv5:
            return super()._handle_publish()  # only QoS 1 over MQTT 5 takes the short way
        # Variable header: topic length, topic, packet id, properties length (0 = none).
        topic_end = 2 + (packet[0] << 8 | packet[1])
        if len(packet) < topic_end + 3 or packet[topic_end + 2] != 0:
            return super()._handle_publish()  # properties, or malformed: paho decides
        message = mqtt.MQTTMessage(
            mid=packet[topic_end] << 8 | packet[topic_end + 1], topic=bytes(packet[2:topic_end])
        )
        message.dup = bool(header & 0x08)
        message.qos = 1
        message.retain = bool(header & 0x01)
        message.properties = _NO_PROPERTIES
        message.payload = packet[topic_end + 3 :]
        message.timestamp = mqtt.time_func()
        self._handle_on_message(message)
        if self._manual_ack:
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        return self._send_puback(message.mid)

    def _sock_close(self) -> None:
        # A new connection must not start with the old one's unread bytes.
        self._chunk, self._at = b"", 0
        super()._sock_close()
