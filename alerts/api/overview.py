"""The county overview (态势): per township of the caller's scope, open alarms by severity,
overdue, supervised, devices online and the worst enterprises. Each figure names the query
behind it (`links`: the alarms or devices API with the filter that lists it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from alerts.api import limits, periods
from alerts.api.deps import ScopeDep, ServicesDep
from storage import overview
from storage.uptime import DeviceScope

router = APIRouter(prefix="/api/v1/overview", tags=["overview"])


class FiguresOut(BaseModel):
    open: int
    open_by_severity: dict[str, int]
    overdue: int
    supervised: int
    suppressed: int
    devices: int
    online: int
    online_ratio: float | None
    links: dict[str, str]


class EnterpriseOut(BaseModel):
    enterprise_id: str
    name: str
    figures: FiguresOut


class TownshipOut(BaseModel):
    township: str
    figures: FiguresOut
    worst_enterprises: list[EnterpriseOut]


class OverviewOut(BaseModel):
    at: datetime
    division: str
    total: FiguresOut
    townships: list[TownshipOut]
    how_computed: dict[str, str]


HOW = {
    "open": "alarms not closed, not suppressed by a maintenance window, by current severity",
    "overdue": "open alarms already escalated, or not acknowledged (resolved) within the"
    " acknowledge (resolve) limit of their severity by now",
    "supervised": "open alarms under supervision (挂牌督办)",
    "online_ratio": "registered devices whose last status is online, over registered devices",
    "worst_enterprises": "most open red alarms, then overdue, then open, then lowest online ratio",
}


def _links(division: str, enterprise: str | None = None) -> dict[str, str]:
    base = f"/api/v1/alarms?state=open&division={division}"
    if enterprise is not None:
        base += f"&enterprise={enterprise}"
    shown = f"{base}&suppressed=false"  # the open counts leave suppressed alarms out
    return {
        "open": shown,
        **{s: f"{shown}&severity={s}" for s in overview.SEVERITIES},
        "supervised": f"{base}&supervised=true",
        "overdue": f"{base}&overdue=true",
        "suppressed": f"{base}&suppressed=true",
        "offline_devices": f"/api/v1/devices?status=offline&division={division}"
        + (f"&enterprise={enterprise}" if enterprise else ""),
    }


def _out(f: overview.Figures, links: dict[str, str]) -> FiguresOut:
    fields: dict[str, Any] = {**vars(f), "open": f.open, "online_ratio": f.online_ratio}
    return FiguresOut(**fields, links=links)


@router.get("", response_model=OverviewOut, summary="per township: alarms, overdue, devices")
def get_overview(scope: ScopeDep, svc: ServicesDep, division: str | None = None) -> OverviewOut:
    prefix = periods.jurisdiction(scope, division)
    found = overview.overview(
        svc.store,
        DeviceScope(prefix, scope.family_names, scope.enterprise_id),
        {s: (ack, res) for s, ack, res in limits.by_severity()},
    )
    return OverviewOut(
        at=found.at,
        division=prefix,
        total=_out(found.total, _links(prefix)),
        townships=[
            TownshipOut(
                township=t.township,
                figures=_out(t.figures, _links(t.township)),
                worst_enterprises=[
                    EnterpriseOut(
                        enterprise_id=e.enterprise_id,
                        name=e.name,
                        figures=_out(e.figures, _links(t.township, e.enterprise_id)),
                    )
                    for e in t.worst
                ],
            )
            for t in found.townships
        ],
        how_computed=HOW,
    )
