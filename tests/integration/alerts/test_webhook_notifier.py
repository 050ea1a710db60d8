"""The webhook adapter against a real HTTP receiver on 127.0.0.1 that fails on purpose."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from kafka import KafkaProducer
from prometheus_client import CollectorRegistry

from alerts.metrics import AlertsMetrics
from alerts.notify.consumer import NotificationConsumer
from alerts.notify.dead_letters import LoggedDeadLetters
from alerts.notify.dispatcher import Dispatcher
from alerts.notify.policy import notifications_for
from alerts.notify.port import Notification, NotificationFailed
from alerts.notify.webhook import WebhookNotifier
from alerts.routing import load_table
from schemas.events import AlarmRaised, encode_event
from schemas.settings import Endpoints
from tests.integration.alerts.receiver import Receiver


def _notification() -> Notification:
    event = {
        "type": "AlarmRaised",
        "event_id": uuid4().hex[:8],
        "alarm_id": uuid4().hex[:8],
        "division": "330106001001",
        "family": "gas",
        "severity": "red",
    }
    return notifications_for(load_table(), event, "catering")[0]


def _notifier(
    url: str, secret: str, attempts: int = 5
) -> tuple[WebhookNotifier, LoggedDeadLetters, CollectorRegistry]:
    registry, dead = CollectorRegistry(), LoggedDeadLetters()
    notifier = WebhookNotifier(
        url, secret, dead, AlertsMetrics(registry), attempts=attempts, backoff_s=0.01
    )
    return notifier, dead, registry


def _count(registry: CollectorRegistry, outcome: str) -> float:
    value = registry.get_sample_value(
        "hazardwatch_alerts_notifications_total", {"outcome": outcome}
    )
    return value or 0.0


def test_a_notification_is_signed_with_the_shared_secret(receiver: Receiver) -> None:
    secret = uuid4().hex
    notifier, _, _ = _notifier(receiver.url, secret)
    notification = _notification()
    notifier.notify(notification)
    key, signature, body = receiver.attempts[0]
    assert key == notification.idempotency_key
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, f"sha256={expected}")
    assert receiver.delivered[key]["alarm_id"] == notification.alarm_id


def test_a_receiver_that_fails_twice_gets_the_same_notification_on_the_third_attempt(
    receiver: Receiver,
) -> None:
    receiver.fail_first = 2
    notifier, dead, registry = _notifier(receiver.url, uuid4().hex)
    notification = _notification()
    notifier.notify(notification)
    assert len(receiver.attempts) == 3
    assert {key for key, _, _ in receiver.attempts} == {notification.idempotency_key}
    assert len({body for _, _, body in receiver.attempts}) == 1
    assert list(receiver.delivered) == [notification.idempotency_key]
    assert (_count(registry, "retried"), _count(registry, "sent")) == (2, 1)
    assert dead.letters == []


def test_the_same_notification_twice_is_delivered_once(receiver: Receiver) -> None:
    notifier, _, registry = _notifier(receiver.url, uuid4().hex)
    notification = _notification()
    notifier.notify(notification)
    notifier.notify(notification)
    assert len(receiver.attempts) == 1
    assert _count(registry, "sent") == 1


def test_after_the_last_failed_attempt_the_notification_is_dead_lettered(
    receiver: Receiver,
) -> None:
    receiver.fail_first = 100
    notifier, dead, registry = _notifier(receiver.url, uuid4().hex, attempts=3)
    notification = _notification()
    with pytest.raises(NotificationFailed):
        notifier.notify(notification)
    assert len(receiver.attempts) == 3
    assert [(n.idempotency_key, reason) for n, reason in dead.letters] == [
        (notification.idempotency_key, "HTTP 500")
    ]
    assert _count(registry, "failed") == 1
    # A dead-lettered notification was not delivered, so a later redelivery tries again.
    receiver.fail_first = 0
    notifier.notify(notification)
    assert list(receiver.delivered) == [notification.idempotency_key]


def test_an_unreachable_receiver_is_retried_then_dead_lettered() -> None:
    notifier, dead, _ = _notifier("http://127.0.0.1:9/hook", uuid4().hex, attempts=2)
    with pytest.raises(NotificationFailed):
        notifier.notify(_notification())
    assert len(dead.letters) == 1


def test_alarm_events_on_the_topic_become_deduplicated_webhook_notifications(
    receiver: Receiver, endpoints: Endpoints
) -> None:
    receiver.fail_first = 1
    notifier, dead, _ = _notifier(receiver.url, uuid4().hex)
    enterprise = f"E{uuid4().hex[:8]}"
    dispatcher = Dispatcher(load_table(), {enterprise: "catering"}.__getitem__, notifier)
    consumer = NotificationConsumer(
        endpoints.kafka_bootstrap,
        endpoints.topics.alarm_events,
        f"notify-{uuid4().hex[:8]}",
        dispatcher,
        from_beginning=True,
    )
    raised = AlarmRaised(
        event_id=uuid4().hex,
        alarm_id=f"A{uuid4().hex[:8]}",
        seq=1,
        occurred_at=datetime.now(UTC),
        device_id=f"D{uuid4().hex[:8]}",
        enterprise_id=enterprise,
        division="330106001001",
        family="gas",  # type: ignore[arg-type]
        condition="level2",
        severity="red",  # type: ignore[arg-type]
    )
    producer = KafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap, acks="all")
    try:
        # The event twice (a redelivery), then a marker behind it on the same partition: once
        # the marker's notifications arrived, the duplicate has been handled.
        marker = raised.model_copy(update={"event_id": uuid4().hex})
        for event in (raised, raised, marker):
            producer.send(endpoints.topics.alarm_events, key=b"k", value=encode_event(event))
        producer.flush(timeout=10)
        consumer.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(receiver.delivered) < 4:
            time.sleep(0.05)
    finally:
        consumer.stop()
        producer.close(timeout=5)
    mine = [b for b in receiver.delivered.values() if b["event"]["event_id"] == raised.event_id]
    assert sorted(b["audience"]["name"] for b in mine) == ["gas_authority", "township"]
    # One failed attempt retried, then each of the four notifications once.
    assert len(receiver.attempts) == 5
    assert dead.letters == []
