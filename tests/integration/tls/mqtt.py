"""An MQTT v5 client for the TLS tests that says what happened: connected or why not, and the
reason code of each PUBACK."""

from __future__ import annotations

import ssl
import threading
import uuid
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


@dataclass
class Session:
    client: mqtt.Client
    connected: bool = False
    refused: str = ""  # why the connection did not come up: TLS error, CONNACK or disconnect
    _pubacks: dict[int, int] = field(default_factory=dict)
    _event: threading.Event = field(default_factory=threading.Event)

    def publish(self, topic: str, payload: bytes, timeout: float = 10.0) -> int | None:
        """The PUBACK's reason code (0 or 0x10: taken; 0x87: not authorized), or None when the
        broker closed the connection instead of answering."""
        info = self.client.publish(topic, payload, qos=1)
        done = threading.Event()
        self._event = done
        done.wait(timeout)
        return self._pubacks.get(info.mid)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def connect(
    port: int,
    context: ssl.SSLContext | None,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
) -> Session:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"tls-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5
    )
    session = Session(client)
    came = threading.Event()

    def on_connect(_c: mqtt.Client, _u: object, _f: object, rc: object, _p: object) -> None:
        session.connected = not getattr(rc, "is_failure", True)
        session.refused = "" if session.connected else f"CONNACK {rc}"
        came.set()

    def on_disconnect(_c: mqtt.Client, _u: object, _f: object, rc: object, _p: object) -> None:
        session.connected = False
        session.refused = session.refused or f"disconnected: {rc}"
        came.set()
        session._event.set()

    def on_publish(_c: mqtt.Client, _u: object, mid: int, rc: object, _p: object) -> None:
        session._pubacks[mid] = int(getattr(rc, "value", 0))
        session._event.set()

    client.on_connect, client.on_disconnect, client.on_publish = (
        on_connect, on_disconnect, on_publish,
    )
    if username is not None:
        client.username_pw_set(username, password)
    if context is not None:
        client.tls_set_context(context)
    try:
        client.connect("127.0.0.1", port, keepalive=10)
    except (OSError, ssl.SSLError) as exc:  # the handshake runs inside connect()
        session.refused = f"{type(exc).__name__}: {exc}"
        return session
    client.loop_start()
    if not came.wait(timeout):
        session.refused = "no CONNACK"
    if not session.connected:
        client.loop_stop()
    return session
