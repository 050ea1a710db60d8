"""Builds events with the shared envelope, so every transition only states what is new."""

from __future__ import annotations

from typing import Any, TypeVar

from schemas.events import EventEnvelope
from streams.alarms.ids import event_id
from streams.alarms.records import AlarmRecord, DeviceContext, Trigger

E = TypeVar("E", bound=EventEnvelope)


def build(
    kind: type[E],
    ctx: DeviceContext,
    record: AlarmRecord,
    trigger: Trigger,
    /,
    **fields: Any,
) -> E:
    """The next event of `record` (whose `seq` is already the event's seq), dated by its trigger.

    Positional-only parameters leave every keyword free for event fields (`Resolved.cause`).
    """
    type_name = kind.__name__
    return kind(
        event_id=event_id(trigger.trigger_id, record.alarm_id, type_name),
        alarm_id=record.alarm_id,
        seq=record.seq,
        occurred_at=trigger.at,
        device_id=ctx.device_id,
        enterprise_id=ctx.enterprise_id,
        division=ctx.division,
        family=ctx.family,
        condition=record.condition,
        severity=fields.pop("severity", record.severity),
        **fields,
    )
