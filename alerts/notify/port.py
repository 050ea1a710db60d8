"""The notification contract and the ports a sender talks to."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from alerts.errors import AlertsError
from alerts.routing import Audience

Kind = Literal["alarm", "reminder", "escalation", "supervision"]


class NotificationFailed(AlertsError):
    """Every attempt to deliver a notification failed; it went to the dead letters."""


class Notification(BaseModel):
    model_config = ConfigDict(frozen=True)

    # The event id plus audience: a redelivered event yields the same key, so a receiver (and
    # the sender) can drop the duplicate.
    idempotency_key: str
    kind: Kind
    audience: Audience
    alarm_id: str
    event: dict[str, Any]


class Notifier(Protocol):
    def notify(self, notification: Notification) -> None:
        """Deliver or raise NotificationFailed (after the adapter's own retries)."""


class DeadLetters(Protocol):
    def put(self, notification: Notification, reason: str) -> None: ...
