"""Alarm lifecycle events: the value of `hw.alarm-events.v1` (key = device_id).

The event log is the source of truth (DESIGN section 6). Every event is immutable, past tense
and carries the same envelope, so that a consumer reading one event alone knows which alarm,
device, enterprise, jurisdiction and (once known) severity it is about.

Ids are deterministic (uuid5 of the cause): a replay or a redelivery after a crash produces
byte-identical events, and consumers dedupe by `event_id`.

`seq` is per alarm, from 1 and gap-free. One exception: a `CommandRejected` about an alarm the
worker does not know has `seq = 0`, because it belongs to no alarm's history.

Device presence is on this log too, apart from any alarm: `DeviceWentOffline` and
`DeviceCameOnline` of one offline episode share its `alarm_id` (the episode id, seq 1 and 2),
with `condition` "presence" and no severity. The offline *alarm* of the episode may be closed
(or inhibited by its site) long before the device returns; its status follows these events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from schemas.families import Family, Severity


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
Division = Annotated[str, Field(pattern=r"^\d{12}$")]
Cause = Literal["real_leak", "false_alarm", "device_fault", "test", "maintenance"]
EscalationLevel = Literal["county", "city"]
EscalationReason = Literal["ack_overdue", "resolve_overdue"]

SCHEMA_VERSION = 1


class EventEnvelope(BaseModel):
    """The envelope every alarm event shares (docs/internals.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(min_length=1)
    alarm_id: str = Field(min_length=1)
    seq: int = Field(ge=0)
    occurred_at: UtcDatetime
    schema_version: int = SCHEMA_VERSION
    device_id: str = Field(min_length=1)
    enterprise_id: str = Field(min_length=1)
    division: Division
    family: Family
    condition: str = Field(min_length=1)
    # The alarm's current severity; None only on a CommandRejected about an unknown alarm.
    severity: Severity | None = None


class AlarmRaised(EventEnvelope):
    type: Literal["AlarmRaised"] = "AlarmRaised"
    severity: Severity
    value: float | None = None
    threshold: float | None = None
    message: str = ""
    source_received_at: UtcDatetime | None = None
    # Set when the alarm starts inside a maintenance window: a Suppressed event follows and
    # routers must not notify, but a router that sees only this event can already tell.
    suppressed_window: str | None = None
    # The alarm closed while this condition still held (after a device fault or maintenance):
    # this occurrence continues it, so the hazard stays on screen.
    follows_alarm_id: str | None = None


class SeverityChanged(EventEnvelope):
    type: Literal["SeverityChanged"] = "SeverityChanged"
    severity: Severity
    from_severity: Severity
    to_severity: Severity
    value: float | None = None


class ConditionCleared(EventEnvelope):
    type: Literal["ConditionCleared"] = "ConditionCleared"
    severity: Severity
    value: float | None = None


class CommandOutcome(EventEnvelope):
    actor: str
    command_id: str
    comment: str | None = None


class Acknowledged(CommandOutcome):
    type: Literal["Acknowledged"] = "Acknowledged"
    severity: Severity


class Dispatched(CommandOutcome):
    type: Literal["Dispatched"] = "Dispatched"
    severity: Severity
    assignee: str | None = None


class Resolved(CommandOutcome):
    type: Literal["Resolved"] = "Resolved"
    severity: Severity
    cause: Cause


class Closed(CommandOutcome):
    type: Literal["Closed"] = "Closed"
    severity: Severity


class Supervised(CommandOutcome):
    type: Literal["Supervised"] = "Supervised"
    severity: Severity
    # The deadline the regulator set for dealing with the alarm, if any.
    due_at: UtcDatetime | None = None


class SupervisionLifted(CommandOutcome):
    """The county (or an admin) took the alarm off supervision."""

    type: Literal["SupervisionLifted"] = "SupervisionLifted"
    severity: Severity


class Escalated(EventEnvelope):
    type: Literal["Escalated"] = "Escalated"
    severity: Severity
    level: EscalationLevel
    reason: EscalationReason


class Suppressed(EventEnvelope):
    type: Literal["Suppressed"] = "Suppressed"
    severity: Severity
    window_id: str
    reason: str


PRESENCE = "presence"


class DeviceWentOffline(EventEnvelope):
    """Nothing arrived for `offline_after_s` after `last_seen_at`; dated by that deadline."""

    type: Literal["DeviceWentOffline"] = "DeviceWentOffline"
    condition: str = PRESENCE
    last_seen_at: UtcDatetime
    offline_after_s: float = Field(gt=0)


class DeviceCameOnline(EventEnvelope):
    """The first message after an offline episode, dated by when it was received."""

    type: Literal["DeviceCameOnline"] = "DeviceCameOnline"
    condition: str = PRESENCE
    offline_since: UtcDatetime


class CommandRejected(CommandOutcome):
    type: Literal["CommandRejected"] = "CommandRejected"
    command: str
    reason: str


AlarmEvent = Annotated[
    AlarmRaised
    | SeverityChanged
    | ConditionCleared
    | Acknowledged
    | Dispatched
    | Resolved
    | Closed
    | Escalated
    | Supervised
    | SupervisionLifted
    | Suppressed
    | CommandRejected
    | DeviceWentOffline
    | DeviceCameOnline,
    Field(discriminator="type"),
]

_ADAPTER: TypeAdapter[AlarmEvent] = TypeAdapter(AlarmEvent)


def parse_event(raw: bytes | str) -> AlarmEvent:
    """Decode one `hw.alarm-events.v1` value; raises pydantic.ValidationError."""
    return _ADAPTER.validate_json(raw)


def encode_event(event: AlarmEvent) -> bytes:
    """The Kafka value of an event (the key is `event.device_id`)."""
    return event.model_dump_json().encode()
