"""The notification contract and the port every channel (webhook, WeCom, DingTalk, Feishu, SMS,
log) implements."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from alerts.errors import AlertsError
from alerts.notify.contacts import Contact
from alerts.notify.message import AlarmMessage, MessageKind
from alerts.routing import Audience

Kind = MessageKind


class NotificationFailed(AlertsError):
    """Every attempt to deliver a notification failed; it went to the dead letters."""


class DeliveryFailed(AlertsError):
    """One attempt failed; `retryable` says whether another attempt may succeed."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason, self.retryable = reason, retryable


class Notification(BaseModel):
    """What an audience is told about an alarm event; the generic webhook's request body."""

    model_config = ConfigDict(frozen=True)

    # The event id plus audience (plus contact, once resolved): a redelivered event yields the
    # same key, so the sender and a receiver can drop the duplicate.
    idempotency_key: str
    kind: Kind
    audience: Audience
    alarm_id: str
    event: dict[str, Any]


@dataclass(frozen=True)
class Delivery:
    """One message for one contact: what a channel sends in one attempt."""

    key: str
    contact: Contact
    message: AlarmMessage
    notification: Notification

    @property
    def header_key(self) -> str:
        """The key as an HTTP header value: headers are ASCII, contact names often are not."""
        if self.key.isascii():
            return self.key
        return "sha256:" + hashlib.sha256(self.key.encode()).hexdigest()


class Channel(Protocol):
    name: ClassVar[str]

    def send(self, delivery: Delivery) -> None:
        """One attempt; returns when the receiver accepted it, else raises DeliveryFailed."""
