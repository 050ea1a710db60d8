"""Devices: status in scope, one device with its readings (raw or bucketed), and what its
trend page draws beside them: thresholds, alarms and online/offline history. A bearer token
or a console account's session (alerts.api.caller) may call them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from alerts.api.caller import CallerScopeDep
from alerts.api.deps import ServicesDep
from alerts.auth.scope import Scope
from alerts.errors import NotFound
from alerts.services import Services
from storage import devices, queries, trend

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])

BucketParam = Literal["auto", "raw", "1m", "1h", "1d"]

# Occupational exposure limits of DOMAIN section 2 as streams/profiles.py applies them
# (alerts/ may not import streams/); a toxic detector's level 1 is 1x, level 2 2x.
# A registry id (schemas.registry.Identifier): anything else is no registered device.
_REGISTERED = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_EXPOSURE_LIMITS = {"H2S": 10.0, "CO": 20.0, "NH3": 20.0, "CL2": 1.0}


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


class ThresholdLine(BaseModel):
    signal: str  # the payload field the line belongs to (concentration, temperature_c, ...)
    severity: str
    value: float
    source: Literal["device", "default"]


class Trend(BaseModel):
    device: trend.DeviceInfo
    start: datetime
    end: datetime
    thresholds: list[ThresholdLine]
    readings: Readings
    alarms: list[trend.AlarmMark]
    offline: list[trend.OfflineEpisode]


@router.get("", response_model=list[DeviceOut], summary="registered devices in scope")
def list_devices(
    scope: CallerScopeDep,
    svc: ServicesDep,
    status: Literal["online", "offline"] | None = None,
    division: Annotated[str | None, Query(pattern=r"^[0-9]{1,12}$")] = None,
    enterprise: Annotated[str | None, Query(pattern=_REGISTERED.pattern)] = None,
) -> list[DeviceOut]:
    """`division` (a prefix inside the scope) and `enterprise` narrow the scope's devices."""
    prefix = scope.division_prefix
    if division is not None and division.startswith(prefix):
        prefix = division
    elif division is not None and not prefix.startswith(division):
        return []  # a division outside the scope: nothing to see
    found = devices.device_statuses(
        svc.store, prefix, scope.family_names, None if status is None else status == "online"
    )
    wanted = {e for e in (scope.enterprise_id, enterprise) if e is not None}
    return [DeviceOut(**vars(d)) for d in found if wanted <= {d.enterprise_id}]


def _device(svc: Services, scope: Scope, device_id: str) -> trend.DeviceInfo:
    if not _REGISTERED.match(device_id):
        raise NotFound(f"no device {device_id!r} in your scope")
    found = trend.device_in_scope(
        svc.store, device_id, scope.division_prefix, scope.family_names, scope.enterprise_id
    )
    if found is None:
        raise NotFound(f"no device {device_id} in your scope")
    return found


def _range(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    until = end or datetime.now(UTC)
    begin = start or until - timedelta(hours=1)
    if until <= begin:
        raise RequestValidationError(
            [{"loc": ("query", "to"), "msg": "`to` must be after `from`", "type": "value_error"}]
        )
    return begin, until


def _readings(
    svc: Services, device_id: str, begin: datetime, end: datetime, bucket: BucketParam
) -> Readings:
    chosen = (queries.pick_bucket(begin, end) or "raw") if bucket == "auto" else bucket
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


@dataclass(frozen=True)
class DeviceRange:
    """What the readings and the trend of one device both start from: the device (in the
    caller's scope, else 404), a valid time range (else 422) and the bucket asked for."""

    device: trend.DeviceInfo
    begin: datetime
    end: datetime
    bucket: BucketParam


def device_range(
    device_id: str,
    scope: CallerScopeDep,
    svc: ServicesDep,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    bucket: BucketParam = "auto",
) -> DeviceRange:
    device = _device(svc, scope, device_id)
    begin, end = _range(start, to)
    return DeviceRange(device, begin, end, bucket)


RangeDep = Annotated[DeviceRange, Depends(device_range)]


@router.get(
    "/{device_id}/readings",
    response_model=Readings,
    summary="raw readings, or min/avg/max/count per bucket (auto: by the range's length)",
)
def readings(asked: RangeDep, svc: ServicesDep) -> Readings:
    return _readings(svc, asked.device.device_id, asked.begin, asked.end, asked.bucket)


@router.get(
    "/{device_id}/trend",
    response_model=Trend,
    summary="the device, its thresholds, readings, alarms and offline episodes over a range",
)
def device_trend(asked: RangeDep, svc: ServicesDep) -> Trend:
    device, begin, end = asked.device, asked.begin, asked.end
    return Trend(
        device=device,
        start=begin,
        end=end,
        thresholds=threshold_lines(device),
        readings=_readings(svc, device.device_id, begin, end, asked.bucket),
        alarms=trend.device_alarms(svc.store, device.device_id, begin, end),
        offline=trend.offline_episodes(svc.store, device.device_id, begin, end),
    )


def threshold_lines(device: trend.DeviceInfo) -> list[ThresholdLine]:
    """The levels a chart of this device draws: its overrides, else the family defaults."""
    over = device.thresholds
    defaults: list[tuple[str, str, str, float]] = []  # (override key, signal, severity, value)
    if device.family == "gas" and device.type == "oxygen":
        defaults = [("low", "concentration", "orange", 19.5),
                    ("high", "concentration", "orange", 23.5)]  # fmt: skip
    elif device.family == "gas":
        sub = (device.substance or "").upper()
        level1 = _EXPOSURE_LIMITS.get(sub, 10.0) if device.type == "toxic" else 25.0
        defaults = [("level1", "concentration", "orange", level1),
                    ("level2", "concentration", "red", 2 * level1)]  # fmt: skip
    elif device.family == "fire":
        defaults = [("residual_current_ma", "residual_current_ma", "orange", 300.0),
                    ("temperature_c", "temperature_c", "orange", 70.0)]  # fmt: skip
    return [
        ThresholdLine(
            signal=signal,
            severity=severity,
            value=over.get(key, value),
            source="device" if key in over else "default",
        )
        for key, signal, severity, value in defaults
    ]
