"""Between the domain and the outbox table: one row per (message, contact), and back."""

from __future__ import annotations

from alerts.notify.contacts import Contact, Directory
from alerts.notify.message import AlarmMessage
from alerts.notify.port import Delivery, Notification
from storage.notifications import OutboxRow


def row(
    key: str, contact_id: str, contact: Contact, message: AlarmMessage, notice: Notification
) -> OutboxRow:
    # Secrets stay in the contacts file: the row names the contact, never its URL or key.
    return OutboxRow(
        key=key,
        channel=contact.channel,
        contact=contact_id,
        alarm_id=message.alarm_id,
        event_id=message.event_id,
        payload={
            "message": message.model_dump(mode="json"),
            "notification": notice.model_dump(mode="json"),
        },
    )


def delivery(stored: OutboxRow, directory: Directory) -> Delivery | None:
    """None when the contact is no longer in the contacts file."""
    contact = directory.contact(stored.contact)
    if contact is None:
        return None
    return Delivery(
        key=stored.key,
        contact=contact,
        message=AlarmMessage.model_validate(stored.payload["message"]),
        notification=Notification.model_validate(stored.payload["notification"]),
    )
