"""Overdue alarms escalate (DOMAIN section 3): township → county → city.

Deadlines count from the raise, per current severity, and come from `schemas.deadlines` (settings
the entrypoint reads; the alerts service counts down to the same values). A missed acknowledgement
goes to the county, a missed resolution to the city. The escalation's trigger is the alarm and
the missed deadline, not the timer tick that noticed it, so its event id and `occurred_at`
(the deadline itself) are the same whichever tick, worker or replay applies it.
"""

from __future__ import annotations

from datetime import datetime

from schemas.deadlines import Deadlines
from schemas.events import AlarmEvent, Escalated, EscalationLevel, EscalationReason
from streams.alarms.emit import build
from streams.alarms.records import AlarmRecord, DeviceAlarms, DeviceContext, Trigger

_UNRESOLVED = frozenset({"open", "acknowledged", "dispatched"})
LEVELS: dict[EscalationReason, EscalationLevel] = {
    "ack_overdue": "county",
    "resolve_overdue": "city",
}


def overdue(
    record: AlarmRecord, now: datetime, deadlines: Deadlines
) -> list[tuple[EscalationReason, datetime]]:
    """The deadlines `record` has missed by `now` and not yet escalated, earliest first."""
    limits = deadlines.for_severity(record.severity)
    if limits is None or record.suppressed or not record.is_open:
        return []
    ack_within, resolve_within = limits
    missed: list[tuple[EscalationReason, datetime]] = []
    ack_deadline = record.raised_at + ack_within
    if record.state == "open" and now >= ack_deadline and "ack_overdue" not in record.escalations:
        missed.append(("ack_overdue", ack_deadline))
    resolve_deadline = record.raised_at + resolve_within
    if (
        record.state in _UNRESOLVED
        and now >= resolve_deadline
        and "resolve_overdue" not in record.escalations
    ):
        missed.append(("resolve_overdue", resolve_deadline))
    return missed


def next_escalation(record: AlarmRecord, deadlines: Deadlines) -> datetime | None:
    """When `record` will next miss a deadline, if it can."""
    limits = deadlines.for_severity(record.severity)
    if limits is None or record.suppressed or not record.is_open:
        return None
    ack_within, resolve_within = limits
    if record.state == "open" and "ack_overdue" not in record.escalations:
        return record.raised_at + ack_within
    if record.state in _UNRESOLVED and "resolve_overdue" not in record.escalations:
        return record.raised_at + resolve_within
    return None


def has_overdue(state: DeviceAlarms, now: datetime, deadlines: Deadlines) -> bool:
    return any(overdue(record, now, deadlines) for record in state.alarms)


def apply_escalations(
    state: DeviceAlarms, ctx: DeviceContext, now: datetime, deadlines: Deadlines
) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    events: list[AlarmEvent] = []
    for record in state.alarms:
        current = record
        for reason, deadline in overdue(record, now, deadlines):
            level = LEVELS[reason]
            current = current.model_copy(
                update={"seq": current.seq + 1, "escalations": (*current.escalations, reason)}
            )
            trigger = Trigger(f"escalation|{record.alarm_id}|{reason}", deadline)
            events.append(build(Escalated, ctx, current, trigger, level=level, reason=reason))
        if current is not record:
            state = state.replace(current)
    return state, events
