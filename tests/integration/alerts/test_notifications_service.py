"""A running `python -m alerts` with a webhook configured notifies the township and the
industry regulator of an alarm, signed with the configured secret."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from kafka import KafkaProducer

from schemas.events import AlarmRaised, encode_event
from schemas.settings import Endpoints
from storage.datastore import Datastore
from tests.conftest import endpoints_env
from tests.integration.alerts.receiver import Receiver
from tests.integration.alerts.seed import TOWNSHIP, seed_device
from tests.support.processes import free_port


def test_an_alarm_raised_at_a_restaurant_reaches_the_township_and_the_gas_authority(
    endpoints: Endpoints,
    database_url: str,
    service_process: Callable[..., Any],
    receiver: Receiver,
) -> None:
    enterprise, secret = f"E{uuid4().hex[:8]}", uuid4().hex
    with Datastore(database_url, max_size=1) as store:
        device = seed_device(store, enterprise, TOWNSHIP + "001")  # a catering enterprise
    port = free_port()
    env = {
        **endpoints_env(endpoints),
        "HW_DATABASE_URL": database_url,
        "HW_API_URL": f"http://127.0.0.1:{port}",
        "HW_API_TOKEN_SECRET": uuid4().hex,
        "HW_NOTIFY_WEBHOOK_URL": receiver.url,
        "HW_NOTIFY_WEBHOOK_SECRET": secret,
        "HW_NOTIFY_GROUP_ID": f"notify-{uuid4().hex[:8]}",
    }
    process = service_process(["alerts"], env, port).wait_ready(60)
    producer = KafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap, acks="all")
    # A new consumer group starts at the end of the log once it has joined; keep raising
    # alarms until the first one is notified rather than guessing when that happens.
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and not receiver.delivered:
            raised = AlarmRaised(
                event_id=uuid4().hex,
                alarm_id=f"A{uuid4().hex[:8]}",
                seq=1,
                occurred_at=datetime.now(UTC),
                device_id=device,
                enterprise_id=enterprise,
                division=TOWNSHIP + "001",
                family="gas",  # type: ignore[arg-type]
                condition="level2",
                severity="red",  # type: ignore[arg-type]
            )
            producer.send(
                endpoints.topics.alarm_events, key=device.encode(), value=encode_event(raised)
            )
            producer.flush(timeout=10)
            time.sleep(0.5)
        # list() copies at once: the receiver's threads add deliveries meanwhile.
        bodies = list(receiver.delivered.values())
        first = bodies[0]["event"]["event_id"]
        while time.monotonic() < deadline and len(_of(receiver, first)) < 2:
            time.sleep(0.05)
    finally:
        producer.close(timeout=5)
    notified = _of(receiver, first)
    names = sorted(b["audience"]["name"] for b in notified)
    assert names == ["gas_authority", "township"], (len(receiver.attempts), process.tail())
    for key, signature, body in receiver.attempts:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(signature, expected), key


def _of(receiver: Receiver, event_id: str) -> list[dict[str, Any]]:
    return [b for b in list(receiver.delivered.values()) if b["event"]["event_id"] == event_id]
