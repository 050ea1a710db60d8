"""Alarm commands: the value of `hw.alarm-commands.v1` (key = device_id).

Commands are imperative requests from people (via the alerts service). They are not facts:
the stream worker that owns the device decides, and answers with an event or with
`CommandRejected`. The schema only checks shape; whether a command is allowed (state, role)
is the aggregate's decision, so that every refusal is recorded as an event with a reason.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.events import Cause, UtcDatetime

Role = Literal["enterprise", "monitor", "regulator", "admin"]
CommandKind = Literal[
    "acknowledge",
    "dispatch",
    "resolve",
    "close",
    "supervise",
    "lift_supervision",
    "declare_maintenance",
]

MAX_MAINTENANCE_WINDOW = timedelta(hours=72)


class Actor(BaseModel):
    """Who asks: the subject of the access token, its role and scope (DESIGN section 7)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str = Field(min_length=1, max_length=128)
    role: Role
    scope: str = Field(max_length=64)


class MaintenanceWindow(BaseModel):
    """A declared maintenance window (DOMAIN section 3): at most 72 hours."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window_id: str = Field(min_length=1, max_length=128)
    start: UtcDatetime
    end: UtcDatetime
    reason: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _bounded(self) -> MaintenanceWindow:
        if self.end <= self.start:
            raise ValueError("window end must be after its start")
        if self.end - self.start > MAX_MAINTENANCE_WINDOW:
            raise ValueError("a maintenance window lasts at most 72 hours")
        return self


class AlarmCommand(BaseModel):
    """One command for one device's alarms; `command_id` makes redelivery harmless."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: str = Field(min_length=1, max_length=128)
    kind: CommandKind
    alarm_id: str | None = None
    device_id: str = Field(min_length=1, max_length=64)
    actor: Actor
    comment: str | None = Field(default=None, max_length=2000)
    cause: Cause | None = None
    assignee: str | None = Field(default=None, max_length=128)
    window: MaintenanceWindow | None = None
    # supervise only: when the supervised alarm must be dealt with (挂牌督办 with a deadline).
    due_at: UtcDatetime | None = None
    issued_at: UtcDatetime

    @model_validator(mode="after")
    def _target_matches_kind(self) -> AlarmCommand:
        if self.kind == "declare_maintenance":
            if self.window is None:
                raise ValueError("declare_maintenance needs a window")
        elif self.alarm_id is None:
            raise ValueError(f"{self.kind} needs an alarm_id")
        if self.due_at is not None and self.kind != "supervise":
            raise ValueError("only supervise takes a due_at")
        return self


def parse_command(raw: bytes | str) -> AlarmCommand:
    """Decode one `hw.alarm-commands.v1` value; raises pydantic.ValidationError."""
    return AlarmCommand.model_validate_json(raw)
