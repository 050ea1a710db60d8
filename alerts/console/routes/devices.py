"""The scope's devices (设备): status, last reading, family, enterprise, open alarms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from alerts.console.auth import ScopeDep, ServicesDep, SessionDep
from alerts.console.templating import render
from schemas.families import Family
from storage.device_list import DeviceFilter, DeviceState, devices

router = APIRouter(prefix="/console", include_in_schema=False)
PAGE = 200


@router.get("/devices")
def devices_page(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    svc: ServicesDep,
    family: Annotated[Family | None, Query()] = None,
    state: Annotated[DeviceState | None, Query()] = None,
    q: Annotated[str, Query(max_length=64)] = "",
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    families = scope.family_names
    if family is not None:
        families = (family.value,) if not families or family.value in families else ("-",)
    flt = DeviceFilter(
        division_prefix=scope.division_prefix,
        families=families,
        enterprise_id=scope.enterprise_id,
        state=state,
        text=q.strip(),
    )
    rows = devices(svc.store, flt, after=after, limit=PAGE)
    return render(
        request,
        "devices.html",
        session,
        rows=rows,
        family=family.value if family else "",
        state=state or "",
        q=q,
        families=[f.value for f in Family if not scope.families or f in scope.families],
        next_after=rows[-1].device_id if len(rows) == PAGE else None,
    )
