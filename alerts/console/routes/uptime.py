"""Uptime (在线率): the online ratio per township and per enterprise of the account's scope
over a day, week or month, the enterprises under 95 %, and an enterprise's offline episodes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from alerts.api import periods
from alerts.api.uptime import HOW
from alerts.console.auth import ScopeDep, ServicesDep, SessionDep
from alerts.console.templating import render
from alerts.errors import NotFound
from storage import uptime

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/uptime")
def uptime_page(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    svc: ServicesDep,
    period: periods.Period = "week",
    start: date | None = None,
    division: Annotated[str | None, Query(pattern=r"^[0-9]{1,12}$")] = None,
    enterprise: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{0,64}$")] = "",
) -> Response:
    prefix = periods.jurisdiction(scope, division)
    begin, end = periods.bounds(period, start)
    where = uptime.DeviceScope(prefix, scope.family_names, scope.enterprise_id)
    found = uptime.uptime(svc.store, where, begin, end)
    episodes = uptime.episodes(svc.store, where, enterprise, begin, end) if enterprise else None
    if enterprise and episodes is None:
        raise NotFound(f"no enterprise {enterprise} in your scope")
    return render(
        request,
        "uptime.html",
        session,
        found=found,
        period=period,
        start=begin.date(),
        division=prefix,
        enterprise=enterprise,
        episodes=episodes,
        target=uptime.ONLINE_TARGET,
        how=HOW,
    )
