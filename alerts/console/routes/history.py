"""Alarm history (告警历史): the account's alarms searched by time, family, severity, state,
enterprise, device, condition and cause, newest first a keyset page at a time, and the CSV of
exactly what the search shows (every page). The search is the API's (`alerts.alarm_search`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from alerts import alarm_search
from alerts.console.auth import ScopeDep, ServicesDep, SessionDep
from alerts.console.templating import render
from alerts.csv_stream import stream_csv
from alerts.errors import NotFound
from schemas.events import Cause
from schemas.families import Family, Severity
from storage import history

router = APIRouter(prefix="/console", include_in_schema=False)
PAGE = 50
LOCAL = ZoneInfo("Asia/Shanghai")  # a regulator's "last week" is in local days
CAUSES = ("real_leak", "false_alarm", "device_fault", "test", "maintenance")
_Text = Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9_:-]*$")]


def _local_midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=LOCAL)


def _flag(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


State = Annotated[Literal["open", "closed", "all"], Query()]
Flag = Annotated[Literal["", "true", "false"], Query()]
Division = Annotated[str, Query(pattern=r"^[0-9]{0,12}$")]


@dataclass(frozen=True)
class Asked:
    """The search a history page or its CSV was asked for, and the form that shows it."""

    search: alarm_search.Search
    form: dict[str, object]


def asked(
    state: State = "all",
    family: Annotated[list[Family] | None, Query()] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    since: date | None = None,
    until: date | None = None,
    division: Division = "",
    enterprise: _Text = "",
    device: _Text = "",
    condition: _Text = "",
    cause: Annotated[Cause | Literal[""], Query()] = "",
    supervised: Flag = "",
    suppressed: Flag = "",
    overdue: Flag = "",
) -> Asked:
    families = tuple(f.value for f in family or ())
    severities = tuple(s.value for s in severity or ())
    end = _local_midnight(until + timedelta(days=1)) if until else None  # `until` is inclusive
    search = alarm_search.Search(
        state=state,
        families=families,
        severities=severities,
        since=_local_midnight(since),
        until=end,
        division=division or None,
        enterprises=(enterprise,) if enterprise else (),
        devices=(device,) if device else (),
        conditions=(condition,) if condition else (),
        causes=(cause,) if cause else (),
        supervised=_flag(supervised),
        suppressed=_flag(suppressed),
        overdue=_flag(overdue),
    )
    form: dict[str, object] = {
        "state": state, "families": list(families), "severities": list(severities),
        "since": since or "", "until": until or "", "division": division,
        "enterprise": enterprise, "device": device, "condition": condition, "cause": cause,
        "supervised": supervised, "suppressed": suppressed, "overdue": overdue,
    }  # fmt: skip
    return Asked(search, form)


AskedDep = Annotated[Asked, Depends(asked)]


@router.get("/history")
def history_page(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    svc: ServicesDep,
    search: AskedDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    try:
        after = alarm_search.decode_cursor(cursor)
    except ValueError as exc:
        raise NotFound("no such page of this search") from exc
    page = history.search(svc.store, alarm_search.scoped(scope, search.search), after=after,
                          limit=PAGE)  # fmt: skip
    shown = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor" and v]
    following = alarm_search.encode_cursor(page.next_after)
    return render(
        request,
        "history.html",
        session,
        rows=page.items,
        query=urlencode(shown),
        next_query=urlencode([*shown, ("cursor", following)]) if following else None,
        form=search.form,
        families=[f.value for f in Family if not scope.families or f in scope.families],
        severities=[s.value for s in Severity],
        causes=CAUSES,
    )


@router.get("/history.csv")
def history_csv(
    scope: ScopeDep, svc: ServicesDep, _session: SessionDep, search: AskedDep
) -> Response:
    """Every page of the search the history page shows, with the API's CSV columns."""
    found = history.search_all(svc.store, alarm_search.scoped(scope, search.search))
    rows = ([getattr(a, c) for c in history.CSV_COLUMNS] for a in found)
    return stream_csv(history.CSV_COLUMNS, rows, "alarm-history.csv")
