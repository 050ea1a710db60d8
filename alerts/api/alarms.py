"""Alarms: the list in the caller's scope, one alarm with its history, and commands on it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from alerts import alarm_search, handling
from alerts.api.deps import ScopeDep, ServicesDep
from alerts.csv_stream import stream_csv
from schemas.events import Cause
from schemas.families import Family, Severity
from storage import history, queries

router = APIRouter(prefix="/api/v1/alarms", tags=["alarms"])

Action = Literal["acknowledge", "dispatch", "resolve", "close", "supervise", "lift_supervision"]
# A device or enterprise id as the registry allows it (site alarms live on `site:{enterprise}`).
_ID = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_:-]+$")]
_CONDITION = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]


class AlarmList(BaseModel):
    items: list[history.HistoryRow]
    next_cursor: str | None = Field(description="pass as `cursor` for the next (older) page")


class AlarmWithHistory(BaseModel):
    alarm: queries.AlarmSummary
    events: list[dict[str, Any]]


class CommandBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=2000)
    cause: Cause | None = None
    assignee: str | None = Field(default=None, max_length=128)
    due_at: datetime | None = Field(
        default=None, description="supervise only: when the supervised alarm must be handled"
    )
    command_id: str | None = Field(
        default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$"
    )


class Accepted(BaseModel):
    command_id: str
    alarm_id: str
    action: Action


def _after(cursor: str | None) -> history.Keyset | None:
    try:
        return alarm_search.decode_cursor(cursor)
    except ValueError as exc:
        raise RequestValidationError(
            [{"loc": ("query", "cursor"), "msg": "not a cursor from this API", "type": "value"}]
        ) from exc


@router.get("", response_model=AlarmList, summary="alarms in the caller's scope, newest first")
def list_alarms(
    scope: ScopeDep,
    svc: ServicesDep,
    state: Literal["open", "closed", "all"] = "open",
    family: Annotated[list[Family] | None, Query()] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    enterprise: Annotated[list[_ID] | None, Query(max_length=50)] = None,
    device: Annotated[list[_ID] | None, Query(max_length=50)] = None,
    condition: Annotated[list[_CONDITION] | None, Query(max_length=20)] = None,
    cause: Annotated[list[Cause] | None, Query()] = None,
    division: Annotated[str | None, Query(pattern=r"^[0-9]{1,12}$")] = None,
    supervised: bool | None = None,
    suppressed: bool | None = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
    format: Literal["json", "csv"] = "json",
) -> AlarmList | Response:
    """Every filter narrows the caller's scope (`division`: a prefix inside it; `overdue`: as
    the overview counts it: escalated or past its severity's limit now). `format=csv` exports
    every page of the same filter (streamed, from `cursor` on) with the JSON rows' columns
    but `view`."""
    search = alarm_search.Search(
        state=state,
        families=tuple(f.value for f in family or ()),
        severities=tuple(s.value for s in severity or ()),
        since=since,
        until=until,
        division=division,
        enterprises=tuple(enterprise or ()),
        devices=tuple(device or ()),
        conditions=tuple(condition or ()),
        causes=tuple(cause or ()),
        supervised=supervised,
        suppressed=suppressed,
        overdue=overdue,
    )
    flt = alarm_search.scoped(scope, search)
    after = _after(cursor)
    if format == "csv":
        found = history.search_all(svc.store, flt, after=after)
        rows = ([getattr(a, c) for c in history.CSV_COLUMNS] for a in found)
        return stream_csv(history.CSV_COLUMNS, rows, "alarms.csv")
    page = history.search(svc.store, flt, after=after, limit=limit)
    return AlarmList(items=page.items, next_cursor=alarm_search.encode_cursor(page.next_after))


@router.get(
    "/{alarm_id}",
    response_model=AlarmWithHistory,
    summary="the alarm's current state and its full event history",
)
def get_alarm(alarm_id: str, scope: ScopeDep, svc: ServicesDep) -> AlarmWithHistory:
    detail = handling.detail(svc, scope, alarm_id)
    return AlarmWithHistory(alarm=detail.alarm, events=detail.events)


@router.post(
    "/{alarm_id}/{action}",
    status_code=202,
    response_model=Accepted,
    summary="acknowledge, dispatch, resolve, close, supervise, lift_supervision: an event follows",
)
def command(
    alarm_id: str,
    action: Action,
    scope: ScopeDep,
    svc: ServicesDep,
    body: CommandBody | None = None,
) -> Accepted:
    body = body or CommandBody()
    command_id = handling.submit(
        svc,
        scope,
        alarm_id,
        handling.Request(
            action=action,
            comment=body.comment,
            cause=body.cause,
            assignee=body.assignee,
            due_at=body.due_at,
            command_id=body.command_id,
        ),
    )
    return Accepted(command_id=command_id, alarm_id=alarm_id, action=action)
