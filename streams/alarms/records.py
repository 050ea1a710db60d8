"""The aggregate's state per device key: its alarms (open, and a few recently closed) and
its declared maintenance windows. Serialised as JSON into a faust table with a changelog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from schemas.commands import MaintenanceWindow
from schemas.events import Cause, EscalationReason
from schemas.families import Family, Severity
from streams.projections import AlarmState

# Closed alarms kept so that a late command on them is rejected inside their history.
KEEP_CLOSED = 20
# Command ids remembered per alarm: a redelivered command must not become a rejection.
KEEP_COMMAND_IDS = 32


@dataclass(frozen=True, slots=True)
class DeviceContext:
    """Who the device is (from the registry); every event carries it."""

    device_id: str
    enterprise_id: str
    division: str
    family: Family


@dataclass(frozen=True, slots=True)
class Trigger:
    """The input being applied: names the events it yields and dates them."""

    trigger_id: str
    at: datetime
    received_at: datetime | None = None


class AlarmRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    alarm_id: str
    condition: str
    severity: Severity
    state: AlarmState = "open"
    seq: int
    raised_at: datetime
    cleared: bool = False
    supervised: bool = False
    suppressed: bool = False
    escalations: tuple[EscalationReason, ...] = ()
    command_ids: tuple[str, ...] = ()
    cause: Cause | None = None
    # Closed while its condition still held (allowed after a device fault or maintenance):
    # the device's next reading raises the follow-up occurrence, unless it clears the condition.
    follow_up: bool = False

    @property
    def is_open(self) -> bool:
        return self.state != "closed"


class DeviceAlarms(BaseModel):
    model_config = ConfigDict(frozen=True)

    alarms: tuple[AlarmRecord, ...] = ()
    windows: tuple[MaintenanceWindow, ...] = ()

    def open_alarm(self, condition: str) -> AlarmRecord | None:
        return next((a for a in self.alarms if a.is_open and a.condition == condition), None)

    def awaiting_follow_up(self) -> list[AlarmRecord]:
        return [a for a in self.alarms if a.follow_up]

    def find(self, alarm_id: str) -> AlarmRecord | None:
        return next((a for a in self.alarms if a.alarm_id == alarm_id), None)

    def window_at(self, at: datetime) -> MaintenanceWindow | None:
        return next((w for w in self.windows if w.start <= at < w.end), None)

    def replace(self, record: AlarmRecord) -> DeviceAlarms:
        others = tuple(a for a in self.alarms if a.alarm_id != record.alarm_id)
        alarms = (*others, record)
        closed = [a for a in alarms if not a.is_open]
        if len(closed) > KEEP_CLOSED:
            dropped = {a.alarm_id for a in closed[: len(closed) - KEEP_CLOSED]}
            alarms = tuple(a for a in alarms if a.alarm_id not in dropped)
        return self.model_copy(update={"alarms": alarms})
