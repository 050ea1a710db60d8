"""Device presence as events: an offline episode starts with `DeviceWentOffline` and ends with
`DeviceCameOnline`, whatever becomes of the episode's offline alarm (closed early, inhibited
by its site, never raised). Device status and uptime are folded from these alone.

The episode is named by its deadline (`last_seen + offline_after_s`), like the offline alarm,
so whichever tick, worker or replay notices the silence produces the same events.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from schemas.events import DeviceCameOnline, DeviceWentOffline
from streams.alarms.ids import NAMESPACE, event_id
from streams.alarms.records import DeviceContext


def episode_id(device_id: str, deadline: datetime) -> str:
    return str(uuid.uuid5(NAMESPACE, f"presence|{device_id}|{deadline.isoformat()}"))


def went_offline(
    ctx: DeviceContext, deadline: datetime, last_seen: datetime, offline_after_s: float
) -> DeviceWentOffline:
    episode = episode_id(ctx.device_id, deadline)
    cause = f"offline|{ctx.device_id}|{deadline.isoformat()}"
    return DeviceWentOffline(
        event_id=event_id(cause, episode, "DeviceWentOffline"),
        alarm_id=episode,
        seq=1,
        occurred_at=deadline,
        device_id=ctx.device_id,
        enterprise_id=ctx.enterprise_id,
        division=ctx.division,
        family=ctx.family,
        last_seen_at=last_seen,
        offline_after_s=offline_after_s,
    )


def came_online(
    ctx: DeviceContext, since: datetime, received_at: datetime, cause: str
) -> DeviceCameOnline:
    """`since` is the episode's deadline; `cause` names the message that ended it."""
    episode = episode_id(ctx.device_id, since)
    return DeviceCameOnline(
        event_id=event_id(cause, episode, "DeviceCameOnline"),
        alarm_id=episode,
        seq=2,
        occurred_at=received_at,
        device_id=ctx.device_id,
        enterprise_id=ctx.enterprise_id,
        division=ctx.division,
        family=ctx.family,
        offline_since=since,
    )
