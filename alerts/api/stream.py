"""`GET /api/v1/stream`: Server-Sent Events of the alarm events in the caller's scope.

Each event's `id:` is the feed position after it (alerts.feed.position); a client that
reconnects with `Last-Event-ID` first gets what it missed, replayed from Kafka, then the live
stream: nothing lost, nothing repeated. Comment lines keep idle connections open through proxies.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from alerts.api.deps import ScopeDep, ServicesDep
from alerts.auth.scope import Scope
from alerts.errors import Unavailable
from alerts.feed.hub import DROPPED, FeedEvent, RecentIds, position_at, replay, unique
from alerts.feed.position import Position
from alerts.services import Services

router = APIRouter(prefix="/api/v1", tags=["live feed"])


def _visible(scope: Scope, event: dict[str, object], routed_only: bool = True) -> bool:
    # Alarms inside a declared maintenance window are recorded, not routed (DOMAIN section 3).
    if routed_only and (event.get("type") == "Suppressed" or event.get("suppressed_window")):
        return False
    return scope.sees(
        str(event.get("enterprise_id", "")),
        str(event.get("division", "")),
        str(event.get("family", "")),
    )


def _frame(item: FeedEvent, position: Position) -> str:
    return (
        f"id: {position.encode()}\nevent: {item.event.get('type', 'event')}\n"
        f"data: {json.dumps(item.event, ensure_ascii=False)}\n\n"
    )


async def events(
    request: Request,
    svc: Services,
    scope: Scope,
    last_event_id: str | None,
    since_ms: int | None = None,
    routed_only: bool = True,
) -> AsyncIterator[str]:
    """The SSE frames for one client: what it missed since `Last-Event-ID` (or since the moment
    `since_ms`, for a page rendered from a projection that may lag the log), then live.
    `routed_only=False` keeps suppressed alarms (the console marks them instead)."""
    sub = svc.hub.subscribe()
    svc.metrics.sse_clients.inc()
    # A redelivery may straddle the replay and the live part: one set of ids covers both.
    recent = RecentIds(20_000)
    try:
        position = sub.start
        resume = Position.decode(last_event_id, svc.hub.partitions) if last_event_id else None
        if resume is None and since_ms is not None:
            resume = await asyncio.to_thread(
                position_at, svc.kafka, svc.topics.alarm_events, since_ms, sub.start
            )
        yield f"retry: 2000\n: following from {position.encode()}\n\n"
        if resume is not None:
            missed = await asyncio.to_thread(
                replay, svc.kafka, svc.topics.alarm_events, resume, sub.start
            )
            position = resume
            for item in unique(missed, recent):
                position = position.advanced(item.partition, item.offset)
                if _visible(scope, item.event, routed_only):
                    yield _frame(item, position)
        while not await request.is_disconnected():
            try:
                got: object = await asyncio.wait_for(sub.queue.get(), timeout=svc.heartbeat_s)
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            if got is DROPPED:
                yield 'event: dropped\ndata: {"reason": "too slow; resume with Last-Event-ID"}\n\n'
                return
            assert isinstance(got, FeedEvent)
            item = got
            position = position.advanced(item.partition, item.offset)
            if recent.seen(item.event.get("event_id")):
                continue
            if _visible(scope, item.event, routed_only):
                yield _frame(item, position)
                svc.metrics.delivered.inc()
                _observe_latency(svc, item)
    finally:
        svc.hub.unsubscribe(sub)
        svc.metrics.sse_clients.dec()


def _observe_latency(svc: Services, item: FeedEvent) -> None:
    occurred = item.event.get("occurred_at")
    if isinstance(occurred, str):
        delay = datetime.now(UTC) - datetime.fromisoformat(occurred.replace("Z", "+00:00"))
        svc.metrics.delivery_latency.observe(max(delay.total_seconds(), 0.0))


@router.get(
    "/stream",
    summary="Server-Sent Events of alarm events in scope",
    response_class=StreamingResponse,
)
async def stream(
    request: Request,
    scope: ScopeDep,
    svc: ServicesDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    if not svc.hub.ready:
        raise Unavailable("the live feed is starting")
    return StreamingResponse(
        events(request, svc, scope, last_event_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
