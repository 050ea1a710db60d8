"""One alarm: everything about it, its timeline, its readings, and the actions open to the
account now. Actions go through `alerts.handling`, the API's own command path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from alerts import handling, transitions
from alerts.console import board_rules as board
from alerts.console.auth import ConfigDep, ScopeDep, ServicesDep, SessionDep, check_csrf
from alerts.console.labels import labels
from alerts.console.templating import language, render
from alerts.errors import Conflict, Forbidden
from schemas.events import Cause
from storage import board as board_store
from storage import queries

router = APIRouter(prefix="/console/alarms", include_in_schema=False)

CAUSES = ("real_leak", "false_alarm", "device_fault", "test", "maintenance")
_CHART_BEFORE = timedelta(minutes=30)


def _readings(svc: Any, device_id: str, raised_at: datetime, until: datetime) -> dict[str, Any]:
    """The device's readings around the alarm, raw or bucketed to keep the chart light."""
    start, end = raised_at - _CHART_BEFORE, max(until, raised_at) + timedelta(minutes=5)
    bucket = queries.pick_bucket(start, end)
    if bucket is None:
        raw = queries.raw_readings(svc.store, device_id, start, end, limit=5000)
        points = [
            {"ts": r.ts.isoformat(), "value": _value(r)} for r in raw if _value(r) is not None
        ]
        return {"bucket": "raw", "points": points}
    rows = queries.bucketed_readings(svc.store, device_id, start, end, bucket)
    points = []
    for b in rows:
        for name, stats in b.signals.items():
            points.append(
                {"ts": b.bucket.isoformat(), "signal": name, "min": stats.min, "avg": stats.avg,
                 "max": stats.max}
            )
    return {"bucket": bucket, "points": points}


def _value(reading: queries.RawReading) -> float | None:
    for value in (reading.concentration, reading.residual_current_ma, reading.temperature_c):
        if value is not None:
            return float(value)
    return None


# In the console an enterprise follows its alarms and how they were handled (一表清); the
# township handles them (issue: console part 2). Its machine tokens keep what the worker's
# policy allows them (streams/alarms/policy.py).
WATCH_ONLY = frozenset({"enterprise"})


def actions(state: str, role: str, supervised: bool) -> list[str]:
    return [] if role in WATCH_ONLY else transitions.allowed(state, role, supervised)


@router.get("/{alarm_id}")
def alarm_page(
    alarm_id: str,
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    svc: ServicesDep,
    cfg: ConfigDep,
) -> Response:
    detail = handling.detail(svc, scope, alarm_id)  # NotFound outside the scope
    row = board_store.board_row(svc.store, alarm_id)
    alarm = detail.alarm
    supervised = bool(alarm.view.get("supervised"))
    now = datetime.now(UTC)
    return render(
        request,
        "alarm.html",
        session,
        alarm=alarm,
        row=row,
        events=detail.events,
        actions=actions(alarm.state, scope.role, supervised),
        causes=CAUSES,
        deadline=board.next_deadline(row, cfg.deadlines) if row else None,
        overdue=bool(row and board.overdue(row, cfg.deadlines, now)),
        command_id=request.query_params.get("command"),
        error=request.query_params.get("error"),
        page_data={
            "alarm_id": alarm.alarm_id,
            "readings": _readings(svc, alarm.device_id, alarm.raised_at, alarm.closed_at or now),
            "raised_at": alarm.raised_at.isoformat(),
            "command_id": request.query_params.get("command"),
            "csrf": session.csrf_token,
            "labels": labels(language(request)),
        },
    )


@router.post("/{alarm_id}/{action}")
def act(
    alarm_id: str,
    action: str,
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    svc: ServicesDep,
    csrf_token: Annotated[str, Form()] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
    assignee: Annotated[str, Form(max_length=128)] = "",
    cause: Annotated[str, Form()] = "",
    due_at: Annotated[str, Form()] = "",
    command_id: Annotated[str, Form(max_length=128, pattern=r"^[A-Za-z0-9_.:-]*$")] = "",
) -> Response:
    check_csrf(session, csrf_token)
    wants_json = "application/json" in request.headers.get("accept", "")
    if action not in transitions.ACTIONS:
        return _refused(alarm_id, "unknown_action", wants_json, 404)
    if scope.role in WATCH_ONLY:
        handling.detail(svc, scope, alarm_id)  # another enterprise's alarm stays not found
        return _refused(alarm_id, "forbidden", wants_json, 403)
    try:
        request_ = handling.Request(
            action=action,
            comment=comment or None,
            assignee=assignee or None,
            cause=_cause(cause),
            due_at=datetime.fromisoformat(due_at).replace(tzinfo=UTC) if due_at else None,
            command_id=command_id or None,
        )
        command_id = handling.submit(svc, scope, alarm_id, request_)
    except (ValueError, ValidationError):
        return _refused(alarm_id, "invalid", wants_json, 422)
    except Forbidden:
        return _refused(alarm_id, "forbidden", wants_json, 403)
    except Conflict:
        return _refused(alarm_id, "conflict", wants_json, 409)
    if wants_json:
        return JSONResponse({"command_id": command_id, "alarm_id": alarm_id}, status_code=202)
    return RedirectResponse(f"/console/alarms/{alarm_id}?command={command_id}", status_code=303)


def _cause(text: str) -> Cause | None:
    if not text:
        return None
    if text not in CAUSES:
        raise ValueError(f"unknown cause {text!r}")
    return text  # type: ignore[return-value]


def _refused(alarm_id: str, reason: str, wants_json: bool, status: int) -> Response:
    if wants_json:
        return JSONResponse({"error": reason}, status_code=status)
    return RedirectResponse(f"/console/alarms/{alarm_id}?error={reason}", status_code=303)


@router.get("/{alarm_id}/commands/{command_id}")
def command_outcome(
    alarm_id: str, command_id: str, scope: ScopeDep, svc: ServicesDep
) -> JSONResponse:
    """pending until the worker decided; then applied (the event) or rejected (the reason)."""
    handling.detail(svc, scope, alarm_id)
    row = queries.command_outcome(svc.store, alarm_id, command_id)
    if row is None:
        return JSONResponse({"state": "pending"})
    if row[0] == "CommandRejected":
        return JSONResponse({"state": "rejected", "reason": row[1]})
    return JSONResponse({"state": "applied", "type": row[0]})
