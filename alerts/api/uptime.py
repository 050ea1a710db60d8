"""Uptime of the caller's jurisdiction (DOMAIN section 5: device online rate, enterprises
under 95 %) per enterprise and per township over a day, week or month, and an enterprise's
offline episodes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from alerts.api import periods
from alerts.api.deps import ScopeDep, ServicesDep
from alerts.auth.scope import Scope
from alerts.errors import NotFound
from storage import uptime

router = APIRouter(prefix="/api/v1/uptime", tags=["uptime"])


class UptimeOut(BaseModel):
    division: str
    period: periods.Period
    start: datetime
    end: datetime
    target_ratio: float
    total: uptime.GroupUptime | None
    townships: list[uptime.GroupUptime]
    enterprises: list[uptime.GroupUptime]  # worst first
    below_target: list[uptime.GroupUptime]
    how_computed: str


class EpisodesOut(BaseModel):
    enterprise_id: str
    start: datetime
    end: datetime
    episodes: list[uptime.Episode]


HOW = (
    "Per device: 1 - seconds offline (its offline alarms, raised to condition cleared) inside"
    " the period up to now / seconds elapsed; per enterprise, township and in total: the mean"
    " over its registered devices."
)


def _scope(scope: Scope, prefix: str) -> uptime.DeviceScope:
    return uptime.DeviceScope(prefix, scope.family_names, scope.enterprise_id)


@router.get("", response_model=UptimeOut, summary="online ratio per enterprise and township")
def get_uptime(
    scope: ScopeDep,
    svc: ServicesDep,
    period: periods.Period = "week",
    start: date | None = None,
    division: str | None = None,
) -> UptimeOut:
    prefix = periods.jurisdiction(scope, division)
    begin, end = periods.bounds(period, start)
    found = uptime.uptime(svc.store, _scope(scope, prefix), begin, end)
    return UptimeOut(
        division=prefix,
        period=period,
        start=found.start,
        end=found.end,
        target_ratio=uptime.ONLINE_TARGET,
        total=found.total,
        townships=found.townships,
        enterprises=found.enterprises,
        below_target=found.below_target,
        how_computed=HOW,
    )


@router.get(
    "/episodes",
    response_model=EpisodesOut,
    summary="an enterprise's offline episodes in the period",
)
def get_episodes(
    enterprise_id: Annotated[str, Query(alias="enterprise", pattern=r"^[A-Za-z0-9_-]{1,64}$")],
    scope: ScopeDep,
    svc: ServicesDep,
    period: periods.Period = "week",
    start: date | None = None,
) -> EpisodesOut:
    begin, end = periods.bounds(period, start)
    found = uptime.episodes(
        svc.store, _scope(scope, scope.division_prefix), enterprise_id, begin, end
    )
    if found is None:
        raise NotFound(f"no enterprise {enterprise_id} in your scope")
    return EpisodesOut(enterprise_id=enterprise_id, start=begin, end=end, episodes=found)
