"""Devices: status in scope, and a device's readings raw or bucketed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from alerts.api.deps import ScopeDep, ServicesDep
from alerts.errors import NotFound
from storage import devices, queries

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


class DeviceOut(BaseModel):
    device_id: str
    enterprise_id: str
    division: str
    family: str
    online: bool
    since: datetime | None
    offline_episodes: int


class Readings(BaseModel):
    device_id: str
    bucket: str  # raw | 1m | 1h | 1d
    items: list[dict[str, Any]]


@router.get("", response_model=list[DeviceOut], summary="registered devices in scope")
def list_devices(
    scope: ScopeDep, svc: ServicesDep, status: Literal["online", "offline"] | None = None
) -> list[DeviceOut]:
    found = devices.device_statuses(
        svc.store,
        scope.division_prefix,
        scope.family_names,
        None if status is None else status == "online",
    )
    return [
        DeviceOut(**vars(d))
        for d in found
        if scope.enterprise_id is None or d.enterprise_id == scope.enterprise_id
    ]


@router.get(
    "/{device_id}/readings",
    response_model=Readings,
    summary="raw readings, or min/avg/max/count per bucket",
)
def readings(
    device_id: str,
    scope: ScopeDep,
    svc: ServicesDep,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    bucket: Literal["raw", "1m", "1h", "1d"] | None = None,
) -> Readings:
    visible = [
        d
        for d in devices.device_statuses(svc.store, scope.division_prefix, scope.family_names)
        if d.device_id == device_id
    ]
    if not visible or (scope.enterprise_id and visible[0].enterprise_id != scope.enterprise_id):
        raise NotFound(f"no device {device_id} in your scope")
    end = to or datetime.now(UTC)
    begin = start or end - timedelta(hours=1)
    chosen = bucket or queries.pick_bucket(begin, end) or "raw"
    if chosen == "raw":
        raw = queries.raw_readings(svc.store, device_id, begin, end)
        return Readings(device_id=device_id, bucket="raw", items=[vars(r) for r in raw])
    rows = queries.bucketed_readings(svc.store, device_id, begin, end, chosen)
    return Readings(
        device_id=device_id,
        bucket=chosen,
        items=[
            {
                "bucket": r.bucket,
                "count": r.count,
                "signals": {k: vars(v) for k, v in r.signals.items()},
            }
            for r in rows
        ],
    )
