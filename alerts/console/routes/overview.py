"""The county overview (态势): per township of the account's scope, open alarms by severity,
overdue, supervised, devices online, and the worst enterprises; every figure links to the
history search that lists it. The page follows the live feed of its scope and fetches the
figures again after each burst of events (static/overview.js)."""

from __future__ import annotations

import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from alerts.api import limits, periods
from alerts.auth.scope import Scope
from alerts.console.auth import ConfigDep, ScopeDep, ServicesDep, SessionDep
from alerts.console.templating import render
from alerts.services import Services
from storage import overview
from storage.uptime import DeviceScope

router = APIRouter(prefix="/console", include_in_schema=False)


def links(division: str, enterprise: str | None = None) -> dict[str, str]:
    """The history (or device list) search behind each figure of a township or enterprise."""
    base: list[tuple[str, str]] = [("state", "open"), ("division", division)]
    if enterprise is not None:
        base.append(("enterprise", enterprise))
    shown = [*base, ("suppressed", "false")]  # the open counts leave suppressed alarms out

    def history(*extra: tuple[str, str]) -> str:
        return "/console/history?" + urlencode([*shown, *extra])

    found = {"open": history(), **{s: history(("severity", s)) for s in overview.SEVERITIES}}
    found["overdue"] = history(("overdue", "true"))
    found["supervised"] = "/console/history?" + urlencode([*base, ("supervised", "true")])
    found["offline"] = "/console/uptime?" + urlencode([("period", "day"), ("division", division)])
    return found


def _figures(svc: Services, scope: Scope, prefix: str) -> overview.Overview:
    return overview.overview(
        svc.store,
        DeviceScope(prefix, scope.family_names, scope.enterprise_id),
        {s: (ack, res) for s, ack, res in limits.by_severity()},
    )


Division = Annotated[str | None, Query(pattern=r"^[0-9]{1,12}$")]


@router.get("/overview")
def overview_page(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    svc: ServicesDep,
    cfg: ConfigDep,
    division: Division = None,
    part: Annotated[str, Query(pattern="^(|figures)$")] = "",
) -> Response:
    prefix = periods.jurisdiction(scope, division)
    found = _figures(svc, scope, prefix)
    context: dict[str, Any] = {
        "found": found,
        "division": prefix,
        "links": links,
        "severities": overview.SEVERITIES,
        "page_data": {
            # As on the board: the feed starts a little before the figures were read.
            "since_ms": int((time.time() - cfg.feed_overlap_s) * 1000),
            "figures_url": "/console/overview?"
            + urlencode({"part": "figures", "division": prefix}),
        },
    }
    template = "_overview_figures.html" if part == "figures" else "overview.html"
    return render(request, template, session, **context)
