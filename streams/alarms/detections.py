"""Detections into lifecycle events: raise, change severity, clear.

One open alarm per device and condition: a detection while one is open changes its severity
(or does nothing); only after it is closed does a new detection start a new alarm. An alarm
closed while its condition still held is followed by a new occurrence on the device's next
reading (`apply_follow_ups`), since its rule, having reported the edge already, will not.
"""

from __future__ import annotations

from typing import Protocol

from schemas.events import AlarmEvent, AlarmRaised, ConditionCleared, SeverityChanged, Suppressed
from streams.alarms.emit import build
from streams.alarms.ids import alarm_id
from streams.alarms.records import AlarmRecord, DeviceAlarms, DeviceContext, Trigger
from streams.rules.decisions import Cleared, Decision, Detected


class Inhibition(Protocol):
    """Why a new alarm is raised already suppressed: a maintenance window, or a wider alarm
    (the site's) that stands for it."""

    @property
    def window_id(self) -> str: ...
    @property
    def reason(self) -> str: ...


def apply_decisions(
    state: DeviceAlarms,
    ctx: DeviceContext,
    decisions: list[Decision],
    trigger: Trigger,
    inhibition: Inhibition | None = None,
) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    events: list[AlarmEvent] = []
    for decision in decisions:
        state, new = apply_decision(state, ctx, decision, trigger, inhibition)
        events.extend(new)
    return state, events


def apply_decision(
    state: DeviceAlarms,
    ctx: DeviceContext,
    decision: Decision,
    trigger: Trigger,
    inhibition: Inhibition | None = None,
) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    current = state.open_alarm(decision.condition)
    if isinstance(decision, Cleared):
        return _clear(state, ctx, current, decision, trigger)
    if current is None:
        return _raise(state, ctx, decision, trigger, inhibition)
    if current.severity == decision.severity and not current.cleared:
        return state, []
    # The condition came back or moved to another level: an event on the same alarm.
    record = current.model_copy(
        update={"severity": decision.severity, "seq": current.seq + 1, "cleared": False}
    )
    event = build(
        SeverityChanged,
        ctx,
        record,
        trigger,
        from_severity=current.severity,
        to_severity=decision.severity,
        value=decision.value,
    )
    return state.replace(record), [event]


def apply_follow_ups(
    state: DeviceAlarms, ctx: DeviceContext, decisions: list[Decision], trigger: Trigger
) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    """On a reading: raise the next occurrence of each condition closed while it still held,
    unless this reading clears it (or an alarm for it is open again already)."""
    events: list[AlarmEvent] = []
    clearing = {d.condition for d in decisions if isinstance(d, Cleared)}
    for closed in state.awaiting_follow_up():
        state = state.replace(closed.model_copy(update={"follow_up": False}))
        if closed.condition in clearing or state.open_alarm(closed.condition) is not None:
            continue
        detection = Detected(
            closed.condition, closed.severity, message=f"still present after {closed.alarm_id}"
        )
        # Named by the alarm it follows, dated by the reading: one follow-up per closed alarm,
        # whatever reading (a status message has no seq to name it by) brought it.
        follow = Trigger(f"follow-up|{closed.alarm_id}", trigger.at, trigger.received_at)
        state, new = _raise(state, ctx, detection, follow, None, follows=closed.alarm_id)
        events += new
    return state, events


def _raise(
    state: DeviceAlarms,
    ctx: DeviceContext,
    decision: Detected,
    trigger: Trigger,
    inhibition: Inhibition | None,
    follows: str | None = None,
) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    window = inhibition or state.window_at(trigger.at)
    record = AlarmRecord(
        alarm_id=alarm_id(ctx.device_id, decision.condition, trigger.trigger_id),
        condition=decision.condition,
        severity=decision.severity,
        seq=1,
        raised_at=trigger.at,
        suppressed=window is not None,
    )
    raised = build(
        AlarmRaised,
        ctx,
        record,
        trigger,
        value=decision.value,
        threshold=decision.threshold,
        message=decision.message,
        source_received_at=trigger.received_at,
        suppressed_window=None if window is None else window.window_id,
        follows_alarm_id=follows,
    )
    if window is None:
        return state.replace(record), [raised]
    record = record.model_copy(update={"seq": 2})
    suppressed = build(
        Suppressed, ctx, record, trigger, window_id=window.window_id, reason=window.reason
    )
    return state.replace(record), [raised, suppressed]


def _clear(
    state: DeviceAlarms,
    ctx: DeviceContext,
    current: AlarmRecord | None,
    decision: Cleared,
    trigger: Trigger,
) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    if current is None or current.cleared:
        return state, []
    record = current.model_copy(update={"seq": current.seq + 1, "cleared": True})
    event = build(ConditionCleared, ctx, record, trigger, value=decision.value)
    return state.replace(record), [event]
