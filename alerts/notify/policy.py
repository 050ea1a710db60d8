"""Which alarm events become notifications, and to whom (DOMAIN section 3 and 4).

Pure: the event's fields and the enterprise's industry in, notifications out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alerts.notify.port import Kind, Notification
from alerts.routing import Audience, RoutingTable, audiences, escalation_audience


def notifications_for(
    table: RoutingTable, event: Mapping[str, Any], industry: str
) -> list[Notification]:
    kind = event.get("type")
    division, family = str(event["division"]), str(event["family"])
    if kind == "AlarmRaised":
        # Alarms inside a maintenance window are recorded, not routed.
        if event.get("suppressed_window"):
            return []
        return _each(event, "alarm", audiences(table, division, family, industry))
    if kind == "Escalated":
        # The office that missed the deadline gets a reminder; the next level gets the alarm.
        township = audiences(table, division, family, industry)[0]
        level = escalation_audience(table, division, event["level"])
        return [*_each(event, "reminder", [township]), *_each(event, "escalation", [level])]
    if kind == "Supervised":
        return _each(event, "supervision", audiences(table, division, family, industry)[:1])
    return []


def _each(event: Mapping[str, Any], kind: Kind, targets: list[Audience]) -> list[Notification]:
    return [
        Notification(
            idempotency_key=f"{event['event_id']}:{a.kind}:{a.name}:{a.division_prefix}",
            kind=kind,
            audience=a,
            alarm_id=str(event["alarm_id"]),
            event=dict(event),
        )
        for a in targets
    ]
