"""Rejections for integrators: why the platform refused an enterprise's messages in the last
7 days (reason, detail, topic, time, the payload's first bytes), a keyset page at a time.

An enterprise sees the rejections of messages published under its own topic prefix (the
broker authenticated the sender as that enterprise); an admin sees every rejection, also
those no enterprise can be told of (a bad topic, a stream's dead letter). Monitors and
regulators are refused: raw payloads are the integrator's debugging material, not oversight.
"""

from __future__ import annotations

import base64
import binascii
import codecs
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from alerts.api.caller import CallerDep
from alerts.api.deps import ServicesDep
from alerts.errors import Forbidden
from schemas.rejected import RejectReason
from storage import rejections

router = APIRouter(prefix="/api/v1/rejections", tags=["rejections"])
_ID = r"^[A-Za-z0-9_-]{1,64}$"


class RejectionOut(BaseModel):
    received_at: datetime
    reason: RejectReason
    detail: str
    topic: str | None  # the MQTT topic it came on
    device_id: str | None
    enterprise_id: str | None
    source: str  # ingest | streams | sinks
    payload_size: int  # bytes of the whole payload
    payload_truncated: bool  # only the first bytes are kept
    payload_text: str | None  # the first bytes as text, when they are UTF-8
    payload_b64: str  # the first bytes, always


class RejectionPage(BaseModel):
    since: datetime
    items: list[RejectionOut]
    next: str | None  # pass as `cursor` for the next (older) page; null on the last


def _text(head: bytes, truncated: bool) -> str | None:
    # A cut may split a multi-byte character: a non-final decode leaves the partial tail out.
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(head, final=not truncated)
    except UnicodeDecodeError:
        return None


def _out(r: rejections.Rejection) -> RejectionOut:
    truncated = r.payload_size > len(r.payload_head)
    return RejectionOut(
        received_at=r.received_at,
        reason=RejectReason(r.reason),
        detail=r.detail,
        topic=r.mqtt_topic,
        device_id=r.device_id,
        enterprise_id=r.enterprise_id,
        source=r.source,
        payload_size=r.payload_size,
        payload_truncated=truncated,
        payload_text=_text(r.payload_head, truncated),
        payload_b64=base64.b64encode(r.payload_head).decode("ascii"),
    )


def _cursor(r: rejections.Rejection) -> str:
    raw = f"{r.received_at.isoformat()}|{r.id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _parse_cursor(text: str) -> rejections.Cursor:
    try:
        at, _, row = base64.urlsafe_b64decode(text.encode()).decode().partition("|")
        return rejections.Cursor(datetime.fromisoformat(at), int(row))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise RequestValidationError(
            [{"loc": ("query", "cursor"), "msg": "not a cursor of this API", "type": "value_error"}]
        ) from None


@router.get(
    "",
    response_model=RejectionPage,
    summary="your devices' rejected messages of the last 7 days, newest first, keyset-paged",
)
def list_rejections(
    caller: CallerDep,
    svc: ServicesDep,
    since: datetime | None = None,
    reason: RejectReason | None = None,
    device: Annotated[str | None, Query(pattern=_ID)] = None,
    enterprise: Annotated[str | None, Query(pattern=_ID, description="admins only")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> RejectionPage:
    """`since` is clamped to the last 7 days (older rows are deleted); a time without a zone
    is UTC."""
    scope = caller.scope
    if scope.role not in ("enterprise", "admin"):
        raise Forbidden("rejections are the enterprise's integrators' (and the admins')")
    now = datetime.now(UTC)
    begin = since if since is None or since.tzinfo else since.replace(tzinfo=UTC)
    begin = max(begin or now - rejections.KEEP, now - rejections.KEEP)
    after = None if cursor is None else _parse_cursor(cursor)
    found = rejections.page(
        svc.store,
        enterprise_id=scope.enterprise_id or enterprise,
        admin=scope.role == "admin",
        since=begin,
        reason=None if reason is None else reason.value,
        device_id=device,
        after=after,
        limit=limit,
    )
    return RejectionPage(
        since=begin,
        items=[_out(r) for r in found],
        next=_cursor(found[-1]) if len(found) == limit else None,
    )
