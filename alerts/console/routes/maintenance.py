"""Maintenance windows (维护窗口): an enterprise declares one (devices, reason, start, end at
most 72 h later) through the API's own path; the township and the regulators see current and
past windows, who declared each and when, and the alarms each suppressed. A window over a
device with a live red alarm is declared only after the person confirms it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from alerts import alarm_search
from alerts.accounts.sessions import Session
from alerts.api.maintenance import WindowBody, declare
from alerts.auth.scope import Scope
from alerts.console.auth import ScopeDep, ServicesDep, SessionDep, check_csrf
from alerts.console.templating import render
from alerts.services import Services
from storage import history, maintenance
from storage.uptime import DeviceScope

router = APIRouter(prefix="/console/maintenance", include_in_schema=False)
LOCAL = ZoneInfo("Asia/Shanghai")


def _page(
    request: Request, session: Session, scope: Scope, svc: Services, **extra: Any
) -> Response:
    now = datetime.now(UTC)
    where = DeviceScope(scope.division_prefix, scope.family_names, scope.enterprise_id)
    return render(
        request,
        "maintenance.html",
        session,
        windows=maintenance.windows(svc.store, where, now),
        may_declare=scope.role in ("enterprise", "admin"),
        **extra,
    )


@router.get("")
def windows_page(
    request: Request, session: SessionDep, scope: ScopeDep, svc: ServicesDep
) -> Response:
    return _page(request, session, scope, svc, form={}, red=[], error=None)


def _red_alarms(svc: Services, scope: Scope, devices: list[str]) -> list[history.HistoryRow]:
    search = alarm_search.Search(state="open", severities=("red",), devices=tuple(devices))
    return history.search(svc.store, alarm_search.scoped(scope, search), limit=50).items


@router.post("")
def declare_window(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    svc: ServicesDep,
    csrf_token: Annotated[str, Form()] = "",
    devices: Annotated[str, Form(max_length=5000)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    start: Annotated[str, Form(max_length=32)] = "",
    end: Annotated[str, Form(max_length=32)] = "",
    confirm_red: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    check_csrf(session, csrf_token)
    form = {"devices": devices, "reason": reason, "start": start, "end": end}
    listed = sorted({d.strip() for d in devices.replace(",", " ").split() if d.strip()})
    try:
        body = WindowBody(
            devices=listed,
            reason=reason,
            start=datetime.fromisoformat(start).replace(tzinfo=LOCAL),
            end=datetime.fromisoformat(end).replace(tzinfo=LOCAL),
        )
    except (ValueError, ValidationError):
        return _page(request, session, scope, svc, form=form, red=[], error="invalid")
    red = _red_alarms(svc, scope, listed)
    if red and confirm_red != "yes":
        return _page(request, session, scope, svc, form=form, red=red, error=None)
    accepted = declare(body, scope, svc)  # NotFound for a device outside the scope
    return RedirectResponse(f"/console/maintenance?declared={accepted.window_id}", 303)
