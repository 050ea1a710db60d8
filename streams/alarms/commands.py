"""Commands into lifecycle events, or into `CommandRejected` with a reason.

open → acknowledged → dispatched → resolved(trigger) → closed, in that order only; supervise at
any time before closing (optionally with a deadline), lifted again only by the county (or an
admin); a maintenance window is recorded on the device. A command already
applied (same command_id, redelivered) yields nothing, so it cannot turn into a rejection.

An alarm whose condition is still present cannot be closed (the hazard would vanish from every
screen while the gas is still there), unless it was resolved as a device fault or maintenance:
then the close stands and the device's next reading raises a follow-up occurrence.
"""

from __future__ import annotations

from schemas.commands import AlarmCommand, CommandKind
from schemas.events import (
    Acknowledged,
    AlarmEvent,
    Cause,
    Closed,
    CommandRejected,
    Dispatched,
    Resolved,
    Supervised,
    SupervisionLifted,
)
from streams.alarms.emit import build
from streams.alarms.ids import command_trigger, event_id
from streams.alarms.policy import ALLOWED_ROLES, in_scope, is_county
from streams.alarms.records import (
    KEEP_COMMAND_IDS,
    AlarmRecord,
    DeviceAlarms,
    DeviceContext,
    Trigger,
)
from streams.projections import AlarmState
from streams.rules.decisions import LASTING_CONDITIONS

# The state a command needs, and the state it leads to.
TRANSITIONS: dict[CommandKind, tuple[AlarmState, AlarmState]] = {
    "acknowledge": ("open", "acknowledged"),
    "dispatch": ("acknowledged", "dispatched"),
    "resolve": ("dispatched", "resolved"),
    "close": ("resolved", "closed"),
}
UNKNOWN_CONDITION = "unknown"
# Causes after which an alarm may be closed while its condition is still present: the reading
# is not trusted (device fault) or expected (maintenance), yet it must not vanish unseen.
CLOSE_WHILE_PRESENT: frozenset[Cause] = frozenset({"device_fault", "maintenance"})


def apply_command(
    state: DeviceAlarms, ctx: DeviceContext, command: AlarmCommand
) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    trigger = Trigger(command_trigger(command.command_id), command.issued_at)
    if command.kind == "declare_maintenance":
        return _declare_maintenance(state, ctx, command, trigger)
    record = state.find(command.alarm_id or "")
    if record is None:
        return state, [_rejected_outside(ctx, command, trigger, "unknown_alarm")]
    if command.command_id in record.command_ids:
        return state, []
    reason = _refusal(record, ctx, command)
    if reason is not None:
        return _reject(state, ctx, record, command, trigger, reason)
    return _accept(state, ctx, record, command, trigger)


def _refusal(record: AlarmRecord, ctx: DeviceContext, command: AlarmCommand) -> str | None:
    actor = command.actor
    if command.kind == "lift_supervision" and not is_county(actor.role, actor.scope):
        return "not_county"
    if actor.role not in ALLOWED_ROLES[command.kind]:
        return f"role_not_allowed: {actor.role} may not {command.kind}"
    if not in_scope(actor.role, actor.scope, ctx.enterprise_id, ctx.division):
        return "out_of_scope"
    if command.kind in ("supervise", "lift_supervision"):
        return _supervision_refusal(record, command)
    needed, _ = TRANSITIONS[command.kind]
    if record.state != needed:
        return f"wrong_state: {command.kind} needs {needed}, alarm is {record.state}"
    if command.kind == "resolve" and command.cause is None:
        return "cause_required"
    if command.kind == "close" and present(record) and record.cause not in CLOSE_WHILE_PRESENT:
        return "condition_active"
    return None


def _supervision_refusal(record: AlarmRecord, command: AlarmCommand) -> str | None:
    if not record.is_open:
        return "wrong_state: alarm is closed"
    if command.kind == "lift_supervision":
        return None if record.supervised else "not_supervised"
    if record.supervised:
        return "already_supervised"
    if command.due_at is not None and command.due_at <= command.issued_at:
        return "due_at_passed"
    return None


def present(record: AlarmRecord) -> bool:
    """Whether the alarm's condition still holds, as far as its rule has said."""
    return record.condition in LASTING_CONDITIONS and not record.cleared


def _accept(
    state: DeviceAlarms,
    ctx: DeviceContext,
    record: AlarmRecord,
    command: AlarmCommand,
    trigger: Trigger,
) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    changes: dict[str, object] = {
        "seq": record.seq + 1,
        "command_ids": _remember(record, command.command_id),
    }
    if command.kind in ("supervise", "lift_supervision"):
        changes["supervised"] = command.kind == "supervise"
    else:
        changes["state"] = TRANSITIONS[command.kind][1]
    if command.kind == "resolve":
        changes["cause"] = command.cause
    if command.kind == "close":
        changes["follow_up"] = present(record)
    updated = record.model_copy(update=changes)
    common = {"actor": command.actor.subject, "command_id": command.command_id}
    event: AlarmEvent
    match command.kind:
        case "acknowledge":
            event = build(Acknowledged, ctx, updated, trigger, comment=command.comment, **common)
        case "dispatch":
            event = build(
                Dispatched, ctx, updated, trigger,
                assignee=command.assignee, comment=command.comment, **common,
            )
        case "resolve":
            event = build(
                Resolved, ctx, updated, trigger,
                cause=command.cause, comment=command.comment, **common,
            )
        case "close":
            event = build(Closed, ctx, updated, trigger, comment=command.comment, **common)
        case "supervise":
            event = build(
                Supervised, ctx, updated, trigger,
                due_at=command.due_at, comment=command.comment, **common,
            )
        case _:
            event = build(
                SupervisionLifted, ctx, updated, trigger, comment=command.comment, **common
            )
    return state.replace(updated), [event]


def _reject(
    state: DeviceAlarms,
    ctx: DeviceContext,
    record: AlarmRecord,
    command: AlarmCommand,
    trigger: Trigger,
    reason: str,
) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    updated = record.model_copy(
        update={"seq": record.seq + 1, "command_ids": _remember(record, command.command_id)}
    )
    event = build(
        CommandRejected, ctx, updated, trigger,
        actor=command.actor.subject, command_id=command.command_id,
        comment=command.comment, command=command.kind, reason=reason,
    )
    return state.replace(updated), [event]


def _rejected_outside(
    ctx: DeviceContext, command: AlarmCommand, trigger: Trigger, reason: str
) -> CommandRejected:
    """A refusal that belongs to no alarm's history (`seq` 0, no severity)."""
    target = command.alarm_id or f"maintenance:{command.command_id}"
    return CommandRejected(
        event_id=event_id(trigger.trigger_id, target, "CommandRejected"),
        alarm_id=target,
        seq=0,
        occurred_at=trigger.at,
        device_id=ctx.device_id,
        enterprise_id=ctx.enterprise_id,
        division=ctx.division,
        family=ctx.family,
        condition=UNKNOWN_CONDITION,
        actor=command.actor.subject,
        command_id=command.command_id,
        comment=command.comment,
        command=command.kind,
        reason=reason,
    )


def _declare_maintenance(
    state: DeviceAlarms, ctx: DeviceContext, command: AlarmCommand, trigger: Trigger
) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    window = command.window
    if window is None or any(w.window_id == window.window_id for w in state.windows):
        return state, []
    actor = command.actor
    if actor.role not in ALLOWED_ROLES["declare_maintenance"]:
        return state, [_rejected_outside(ctx, command, trigger, f"role_not_allowed: {actor.role}")]
    if not in_scope(actor.role, actor.scope, ctx.enterprise_id, ctx.division):
        return state, [_rejected_outside(ctx, command, trigger, "out_of_scope")]
    # Windows that ended before this one was issued can never match again.
    live = tuple(w for w in state.windows if w.end > command.issued_at)
    return state.model_copy(update={"windows": (*live, window)}), []


def _remember(record: AlarmRecord, command_id: str) -> tuple[str, ...]:
    return (*record.command_ids, command_id)[-KEEP_COMMAND_IDS:]
