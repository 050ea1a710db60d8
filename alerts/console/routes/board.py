"""The live alarm board (实时告警): open alarms in the account's scope, kept live by SSE."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from alerts.api.stream import events
from alerts.console import board_rules as board
from alerts.console.auth import ConfigDep, ScopeDep, ServicesDep, SessionDep
from alerts.console.labels import labels
from alerts.console.templating import language, render
from alerts.errors import NotFound, Unavailable
from storage import board as board_store
from storage.queries import AlarmFilter

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/console/board", status_code=303)


@router.get("/board")
def board_page(
    request: Request, session: SessionDep, scope: ScopeDep, svc: ServicesDep, cfg: ConfigDep
) -> Response:
    # The feed starts a little before the projection was read: what the sink has not stored
    # yet still arrives, and the page skips what it already shows (same seq or event id).
    since_ms = int((time.time() - cfg.feed_overlap_s) * 1000)
    flt = AlarmFilter(
        division_prefix=scope.division_prefix,
        families=scope.family_names,
        enterprise_id=scope.enterprise_id,
    )
    now = datetime.now(UTC)
    rows = board.order(board_store.open_alarms(svc.store, flt), cfg.deadlines, now)
    return render(
        request,
        "board.html",
        session,
        rows=[
            (row, board.next_deadline(row, cfg.deadlines), board.overdue(row, cfg.deadlines, now))
            for row in rows
        ],
        unacknowledged=sum(1 for r in rows if r.state == "open" and not r.view.get("suppressed")),
        page_data={
            "since_ms": since_ms,
            "deadlines": board.deadline_table(cfg.deadlines),
            "labels": labels(language(request)),
            "csrf": session.csrf_token,
            "can_acknowledge": scope.role in ("monitor", "admin"),  # enterprises watch (alarm.py)
        },
    )


@router.get("/board/stream")
async def board_stream(
    request: Request,
    scope: ScopeDep,
    svc: ServicesDep,
    since: Annotated[int | None, Query(ge=0)] = None,
    last: Annotated[str | None, Query(max_length=400)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    if not svc.hub.ready:
        raise Unavailable("the live feed is starting")
    return StreamingResponse(
        events(request, svc, scope, last_event_id or last, since, routed_only=False),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/devices/{device_id}/card")
def device_card(device_id: str, scope: ScopeDep, svc: ServicesDep) -> JSONResponse:
    """What a new row needs besides its event: where the device is, whose it is."""
    card = board_store.device_card(svc.store, device_id)
    if card is None or not scope.sees(card.enterprise_id, card.division, card.family):
        raise NotFound(f"no device {device_id} in your scope")
    return JSONResponse(
        {
            "device_id": card.device_id,
            "enterprise_id": card.enterprise_id,
            "enterprise_name": card.enterprise_name,
            "device_type": card.device_type,
            "location": card.location,
        }
    )
