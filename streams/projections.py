"""Read models derived from the alarm event log: pure folds, no I/O.

The sinks persist these views, the alerts service reads them, and `./run replay` rebuilds them
from `hw.alarm-events.v1` with the very same functions, so live and replayed state agree.

Both folds are idempotent: an event already applied (redelivery, at-least-once) changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from schemas.events import (
    Acknowledged,
    AlarmEvent,
    AlarmRaised,
    Cause,
    Closed,
    CommandRejected,
    ConditionCleared,
    DeviceCameOnline,
    DeviceWentOffline,
    Dispatched,
    Escalated,
    Resolved,
    SeverityChanged,
    Supervised,
    SupervisionLifted,
    Suppressed,
    UtcDatetime,
)
from schemas.families import Family, Severity

AlarmState = Literal["open", "acknowledged", "dispatched", "resolved", "closed"]
EscalationStep = Literal["township", "county", "city"]
_STEPS: tuple[EscalationStep, ...] = ("township", "county", "city")


class AlarmView(BaseModel):
    """One alarm as it stands after the events applied so far."""

    model_config = ConfigDict(frozen=True)

    alarm_id: str
    device_id: str
    enterprise_id: str
    division: str
    family: Family
    condition: str
    severity: Severity
    state: AlarmState = "open"
    cleared: bool = False
    supervised: bool = False
    # The regulator's deadline while the alarm is supervised (None when not, or none was set).
    supervision_due_at: datetime | None = None
    suppressed: bool = False
    escalation_level: EscalationStep = "township"
    raised_at: datetime
    acknowledged_at: datetime | None = None
    dispatched_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    cause: Cause | None = None
    assignee: str | None = None
    follows_alarm_id: str | None = None
    last_seq: int
    updated_at: datetime


class DeviceStatusView(BaseModel):
    """Whether a device is reporting, from its presence events (not from its offline alarm,
    which a person may close, or its site inhibit, while the device is still silent)."""

    model_config = ConfigDict(frozen=True)

    device_id: str
    online: bool
    since: datetime
    last_offline_at: datetime | None = None
    offline_episodes: int = 0
    # The current (or last) offline episode: makes a redelivered presence event harmless.
    episode_id: str | None = None
    updated_at: datetime


class OfflineInterval(BaseModel):
    """One offline episode of a device (uptime is the complement); open while `ended_at` is
    None. Persisted as `device_offline_intervals` keyed by the episode id."""

    model_config = ConfigDict(frozen=True)

    episode_id: str
    device_id: str
    started_at: UtcDatetime
    ended_at: UtcDatetime | None = None


def apply_alarm(view: AlarmView | None, event: AlarmEvent) -> AlarmView | None:
    """Fold one event into its alarm's view.

    Returns None only when there is no alarm to show: an event other than `AlarmRaised`
    arriving for an alarm never raised (a `CommandRejected` about an unknown alarm id).
    """
    if view is None:
        return _started(event) if isinstance(event, AlarmRaised) else None
    if event.seq <= view.last_seq:
        return view
    changes = _changes(view, event)
    changes.update(last_seq=event.seq, updated_at=event.occurred_at)
    if event.severity is not None:
        changes.setdefault("severity", event.severity)
    return view.model_copy(update=changes)


def _started(event: AlarmRaised) -> AlarmView:
    return AlarmView(
        alarm_id=event.alarm_id,
        device_id=event.device_id,
        enterprise_id=event.enterprise_id,
        division=event.division,
        family=event.family,
        condition=event.condition,
        severity=event.severity,
        suppressed=event.suppressed_window is not None,
        follows_alarm_id=event.follows_alarm_id,
        raised_at=event.occurred_at,
        last_seq=event.seq,
        updated_at=event.occurred_at,
    )


def _changes(view: AlarmView, event: AlarmEvent) -> dict[str, object]:
    at = event.occurred_at
    match event:
        case SeverityChanged():
            # A condition that returns to an open alarm is a severity change that un-clears it.
            return {"severity": event.to_severity, "cleared": False}
        case ConditionCleared():
            return {"cleared": True}
        case Acknowledged():
            return {"state": "acknowledged", "acknowledged_at": at}
        case Dispatched():
            return {"state": "dispatched", "dispatched_at": at, "assignee": event.assignee}
        case Resolved():
            return {"state": "resolved", "resolved_at": at, "cause": event.cause}
        case Closed():
            return {"state": "closed", "closed_at": at}
        case Supervised():
            return {"supervised": True, "supervision_due_at": event.due_at}
        case SupervisionLifted():
            return {"supervised": False, "supervision_due_at": None}
        case Suppressed():
            return {"suppressed": True}
        case Escalated():
            # The highest level reached stays, whatever order the reminders come in.
            higher = _STEPS.index(event.level) > _STEPS.index(view.escalation_level)
            return {"escalation_level": event.level} if higher else {}
        case AlarmRaised() | CommandRejected() | DeviceWentOffline() | DeviceCameOnline():
            return {}


def apply_device(view: DeviceStatusView | None, event: AlarmEvent) -> DeviceStatusView | None:
    """Fold one event into its device's status; only presence events move it."""
    at = event.occurred_at
    if isinstance(event, DeviceWentOffline):
        if view is not None and view.episode_id == event.alarm_id:
            return view  # this episode is known already (a redelivery)
        return DeviceStatusView(
            device_id=event.device_id,
            online=False,
            since=at,
            last_offline_at=at,
            offline_episodes=(0 if view is None else view.offline_episodes) + 1,
            episode_id=event.alarm_id,
            updated_at=at,
        )
    if isinstance(event, DeviceCameOnline):
        if view is None:  # the log lost the episode's start (retention): online from here
            return DeviceStatusView(
                device_id=event.device_id, online=True, since=at, episode_id=event.alarm_id,
                updated_at=at,
            )
        if view.online or view.episode_id != event.alarm_id:
            return view
        return view.model_copy(update={"online": True, "since": at, "updated_at": at})
    return view


def apply_interval(view: OfflineInterval | None, event: AlarmEvent) -> OfflineInterval | None:
    """Fold one event into the offline interval of its episode (keyed by `alarm_id`)."""
    if isinstance(event, DeviceWentOffline):
        if view is not None:
            return view
        return OfflineInterval(
            episode_id=event.alarm_id, device_id=event.device_id, started_at=event.occurred_at
        )
    if isinstance(event, DeviceCameOnline):
        if view is None:
            return None
        if view.ended_at is None:
            return view.model_copy(update={"ended_at": event.occurred_at})
    return view


def fold_alarms(events: Iterable[AlarmEvent]) -> dict[str, AlarmView]:
    """Every alarm's view after `events`, in log order (what replay rebuilds)."""
    views: dict[str, AlarmView] = {}
    for event in events:
        folded = apply_alarm(views.get(event.alarm_id), event)
        if folded is not None:
            views[event.alarm_id] = folded
    return views


def fold_devices(events: Iterable[AlarmEvent]) -> dict[str, DeviceStatusView]:
    """Every device's status after `events`, in log order."""
    views: dict[str, DeviceStatusView] = {}
    for event in events:
        folded = apply_device(views.get(event.device_id), event)
        if folded is not None:
            views[event.device_id] = folded
    return views


def fold_intervals(events: Iterable[AlarmEvent]) -> dict[str, OfflineInterval]:
    """Every offline episode after `events`, by episode id."""
    views: dict[str, OfflineInterval] = {}
    for event in events:
        if not isinstance(event, DeviceWentOffline | DeviceCameOnline):
            continue
        folded = apply_interval(views.get(event.alarm_id), event)
        if folded is not None:
            views[event.alarm_id] = folded
    return views
