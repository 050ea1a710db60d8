"""One enterprise on one page (一表清): all its devices with their status, and its alarms with
how each was handled (acknowledged, resolved with its cause, closed). An enterprise account
sees its own; a township or regulator opens any enterprise of its scope (`?enterprise=`).
The page offers no action: the township handles alarms on the alarm page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from alerts import alarm_search
from alerts.console.auth import ScopeDep, ServicesDep, SessionDep
from alerts.console.templating import render
from alerts.errors import NotFound
from storage import history
from storage.device_list import DeviceFilter, devices

router = APIRouter(prefix="/console", include_in_schema=False)
ALARMS = 200


@router.get("/enterprise")
def enterprise_page(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    svc: ServicesDep,
    enterprise: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{0,64}$")] = "",
) -> Response:
    chosen = scope.enterprise_id or enterprise
    if not chosen or (scope.enterprise_id and enterprise and enterprise != scope.enterprise_id):
        raise NotFound("no enterprise in your scope")
    found = devices(
        svc.store,
        DeviceFilter(scope.division_prefix, scope.family_names, chosen),
        limit=1000,
    )
    if not found:
        raise NotFound(f"no enterprise {chosen} in your scope")
    search = alarm_search.Search(state="all", enterprises=(chosen,))
    alarms = history.search(svc.store, alarm_search.scoped(scope, search), limit=ALARMS)
    return render(
        request,
        "enterprise.html",
        session,
        name=found[0].enterprise_name,
        enterprise=chosen,
        devices=found,
        alarms=alarms.items,
        more=alarms.next_after is not None,
    )
