"""Handling an alarm: the one command path the API and the console share.

A person's click and a machine's POST become the same `AlarmCommand` on
`hw.alarm-commands.v1`, with the caller as `actor`, after the same checks: the alarm must be in
the caller's scope (else NotFound), the role must be allowed the action and the state must fit
(`alerts.transitions`). The stream worker stays the authority on the outcome.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from alerts import transitions
from alerts.auth.scope import Scope
from alerts.errors import NotFound
from alerts.services import Services
from schemas.commands import Actor, AlarmCommand
from schemas.events import Cause
from storage import queries


@dataclass(frozen=True)
class Request:
    action: str
    comment: str | None = None
    cause: Cause | None = None
    assignee: str | None = None
    due_at: datetime | None = None
    command_id: str | None = None


def detail(svc: Services, scope: Scope, alarm_id: str) -> queries.AlarmDetail:
    """The alarm with its history, if the caller may see it."""
    found = queries.alarm_detail(svc.store, alarm_id, scope.division_prefix, scope.family_names)
    if found is None or (scope.enterprise_id and found.alarm.enterprise_id != scope.enterprise_id):
        raise NotFound(f"no alarm {alarm_id} in your scope")
    return found


def submit(svc: Services, scope: Scope, alarm_id: str, request: Request) -> str:
    """Queue the command (once per command id) and return its id."""
    alarm = detail(svc, scope, alarm_id).alarm
    command_id = request.command_id or uuid.uuid4().hex
    # A command id already in the alarm's history: the same request again is the same command.
    if queries.command_outcome(svc.store, alarm_id, command_id) is not None:
        return command_id
    transitions.check(
        request.action, alarm.state, scope.role, bool(alarm.view.get("supervised"))
    )
    svc.bus.send(
        AlarmCommand(
            command_id=command_id,
            kind=request.action,  # type: ignore[arg-type]
            alarm_id=alarm_id,
            device_id=alarm.device_id,
            actor=Actor(subject=scope.subject, role=scope.role, scope=scope.raw),  # type: ignore[arg-type]
            comment=request.comment,
            cause=request.cause,
            assignee=request.assignee,
            due_at=request.due_at,
            issued_at=datetime.now(UTC),
        )
    )
    return command_id
