"""The summary a flapping device's held alarm messages become, one per contact and window."""

from __future__ import annotations

from typing import Literal

from alerts.notify.contacts import Directory
from alerts.notify.message import AlarmMessage
from alerts.notify.outbox import row
from alerts.notify.port import Notification
from alerts.routing import Audience
from storage.notifications import FlapRow, OutboxRow

AudienceKind = Literal["township", "authority", "escalation"]


def summary_row(flap: FlapRow, directory: Directory) -> OutboxRow | None:
    """None when the contact left the contacts file meanwhile."""
    contact = directory.contact(flap.contact)
    if contact is None:
        return None
    last = AlarmMessage.model_validate(flap.message)
    # The last held event names the window: the same window never yields two summaries.
    message = last.model_copy(
        update={"kind": "summary", "held": flap.held, "event_id": f"{last.event_id}:summary"}
    )
    office, division, _ = flap.contact.split("/", 2)
    audience = Audience(kind=_kind(office), name=office, division_prefix=division)
    key = f"{message.event_id}:{flap.contact}"
    notice = Notification(
        idempotency_key=key,
        kind="summary",
        audience=audience,
        alarm_id=message.alarm_id,
        event=message.model_dump(mode="json"),
    )
    return row(key, flap.contact, contact, message, notice)


def _kind(office: str) -> AudienceKind:
    if office == "township":
        return "township"
    return "escalation" if office in {"county", "city"} else "authority"
