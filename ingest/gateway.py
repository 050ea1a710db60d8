"""The MQTT→Kafka gateway: shared subscription in, envelopes and rejections out, PUBACK only
after Kafka acknowledged.

If Kafka fails, the gateway stops acknowledging and drops its MQTT connection; the broker keeps
the unacknowledged QoS 1 messages in our persistent session and redelivers them once we
reconnect, which happens only when Kafka answers again. Nothing is lost; a message Kafka had
already taken may come twice, which consumers absorb by (device_id, seq).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from prometheus_client import Counter

from ingest.acks import OrderedAcks, Pending
from ingest.addressing import parse_topic
from ingest.kafka_sink import KafkaSink
from ingest.metrics import IngestMetrics
from ingest.mqtt_client import GatewayClient
from ingest.puback import send_pubacks
from ingest.rate_limit import RateLimiter
from ingest.registry_refresh import RegistryCache
from ingest.settings import IngestSettings
from ingest.tls import tls_context
from ingest.validation import Accepted, Context, Outcome, Rejected, accept
from schemas.rejected import RejectedMessage

log = logging.getLogger(__name__)


class Gateway:
    def __init__(
        self,
        settings: IngestSettings,
        instance: int,
        metrics: IngestMetrics,
        registry: RegistryCache,
    ) -> None:
        self.settings = settings
        self.topics = settings.topics
        self.sink: KafkaSink[_Part] = KafkaSink(
            settings.kafka,
            f"hw-ingest-{instance}",
            self._parts_done,
            self._on_kafka_failure,
            linger_ms=settings.ingest_linger_ms,
        )
        self.metrics = metrics
        self.registry = registry
        self.limiter = RateLimiter(
            settings.ingest_rate_per_device, settings.ingest_burst_per_device, time.monotonic
        )
        self.client = GatewayClient(
            CallbackAPIVersion.VERSION2,
            client_id=f"hw-ingest-{settings.ingest_shared_group}-{instance}",
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        self.client.username_pw_set(
            settings.mqtt_service_user, settings.mqtt_service_password.get_secret_value()
        )
        if settings.mqtt_tls:
            self.client.tls_set_context(tls_context(settings.mqtt_ca_file))
        self.client.max_inflight_messages_set(1000)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._acks_ready = threading.Event()
        self.acks = OrderedAcks(self._send_acks, self._acks_ready.set)
        self.connected = threading.Event()
        self._kafka_failed = threading.Event()
        self._received = _Children(lambda channel: metrics.received.labels(channel))
        self._forwarded = _Children(lambda key: metrics.forwarded.labels(*key.split("/")))
        self._rejected = _Children(lambda reason: metrics.rejected.labels(reason))

    def _send_acks(self, mids: list[int]) -> None:
        send_pubacks(self.client, mids)

    def _acker(self, stop: threading.Event) -> None:
        """Sends what Kafka confirmed. Woken by the first confirmation after a flush, it runs
        once Kafka's thread lets go of the GIL, by when the rest of that produce batch's
        callbacks have usually run too: one write for the whole batch."""
        while not stop.is_set():
            if self._acks_ready.wait(0.5):
                self._acks_ready.clear()
                self.acks.flush()
                self.metrics.inflight.set(len(self.acks))

    # -- MQTT side (callbacks run in the paho network thread) --
    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: object, rc: object, _p: object
    ) -> None:
        if getattr(rc, "is_failure", False):
            log.error("MQTT connect refused: %s", rc)
            return
        client.subscribe(f"$share/{self.settings.ingest_shared_group}/hw/v1/#", qos=1)
        self.connected.set()
        log.info("connected to MQTT, subscribed to the shared ingest subscription")

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        received_at = datetime.now(UTC)
        began = time.monotonic()
        address = parse_topic(msg.topic)
        self._received.get(address.channel if address else "invalid").inc()
        context = Context(self.registry.current(), self.limiter, received_at, self.registry.recheck)
        outcomes = accept(msg.topic, bytes(msg.payload), context)
        pending = self.acks.received(msg.mid, len(outcomes)) if msg.qos > 0 else None
        self.metrics.inflight.set(len(self.acks))
        for outcome in outcomes:
            self._produce(outcome, msg.topic, received_at, began, pending)

    def _produce(
        self,
        outcome: Outcome,
        topic: str,
        received_at: datetime,
        began: float,
        pending: Pending | None,
    ) -> None:
        key: bytes | None
        if isinstance(outcome, Accepted):
            target, key, value = self.topics.readings, outcome.device_id.encode(), outcome.value
            counter = self._forwarded.get(f"{outcome.family.value}/{outcome.channel}")
        else:
            target, key, value = (
                self.topics.rejected,
                _key(outcome),
                _rejected(outcome, topic, received_at),
            )
            counter = self._rejected.get(outcome.reason.value)
        self.sink.send(target, key, value, (counter, began, pending))

    def _parts_done(self, parts: list[_Part]) -> None:
        """A produce batch is on Kafka (the producer's thread): count, time and release its
        parts' messages for acknowledgement, in one pass."""
        now = time.monotonic()
        observe = self.metrics.produce_latency.observe
        for counter, began, _pending in parts:
            counter.inc()
            observe(now - began)
        self.acks.parts_done([pending for _c, _b, pending in parts if pending is not None])

    def _on_kafka_failure(self, exc: Exception) -> None:
        if not self._kafka_failed.is_set():
            log.error("Kafka did not take a message (%s); pausing MQTT until it answers", exc)
            self._kafka_failed.set()
            self.client.disconnect()

    # -- lifecycle --
    def run(self, stop: threading.Event) -> None:
        """Connect, consume until `stop`; after a Kafka failure, wait for Kafka, then resume."""
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self.settings.ingest_session_expiry_s
        threading.Thread(target=self._acker, args=(stop,), name="acker", daemon=True).start()
        while not stop.is_set():
            self._wait_for_kafka(stop)
            if stop.is_set():
                break
            self._kafka_failed.clear()
            try:
                self.client.connect(
                    self.settings.mqtt_host,
                    self.settings.broker_port,
                    keepalive=30,
                    clean_start=False,
                    properties=properties,
                )
            except OSError as exc:
                log.warning("MQTT broker unreachable (%s); retrying", exc)
                stop.wait(2.0)
                continue
            self.client.loop_forever(retry_first_connection=True)
            self.connected.clear()
            dropped = self.acks.reset()
            log.warning("MQTT loop ended; %d unacknowledged messages left to redelivery", dropped)

    def _wait_for_kafka(self, stop: threading.Event) -> None:
        while not stop.is_set() and not self.sink.reachable(self.topics.readings):
            log.warning("waiting for Kafka")
            stop.wait(2.0)

    def shutdown(self) -> None:
        self.client.disconnect()

    def ready(self) -> bool:
        """Subscribed on the broker, and Kafka answered since the last failure."""
        return self.connected.is_set() and not self._kafka_failed.is_set()


# What a record carries to its batch's completion: its metric, when its message arrived, and
# the message's pending acknowledgement (None at QoS 0).
_Part = tuple[Counter, float, "Pending | None"]


class _Children:
    """Labelled metric children by label value: `labels()` takes a lock and builds a tuple per
    call, a measurable share of a reading's time at thousands a second."""

    def __init__(self, make: Callable[[str], Counter]) -> None:
        self._make = make
        self._children: dict[str, Counter] = {}

    def get(self, key: str) -> Counter:
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._make(key)
        return child


def _key(rejected: Rejected) -> bytes | None:
    return rejected.device_id.encode() if rejected.device_id else None


def _rejected(outcome: Rejected, topic: str, received_at: datetime) -> bytes:
    return RejectedMessage(
        raw_b64=RejectedMessage.b64(outcome.raw),
        mqtt_topic=topic,
        reason=outcome.reason,
        detail=outcome.detail,
        received_at=received_at,
        source="ingest",
        device_id=outcome.device_id,
        enterprise_id=outcome.enterprise_id,
    ).encode()
