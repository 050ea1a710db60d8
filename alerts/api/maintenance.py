"""Maintenance windows (DOMAIN section 3): an enterprise declares devices under maintenance;
each device gets a `declare_maintenance` command, and its stream worker records alarms in the
window as Suppressed instead of routing them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from alerts.api.deps import ScopeDep, ServicesDep
from alerts.auth.scope import Scope
from alerts.errors import Forbidden, NotFound
from alerts.services import Services
from schemas.commands import MAX_MAINTENANCE_WINDOW, Actor, AlarmCommand, MaintenanceWindow
from schemas.events import UtcDatetime
from storage import maintenance
from storage.uptime import DeviceScope

router = APIRouter(prefix="/api/v1/maintenance-windows", tags=["maintenance"])
_DECLARERS = frozenset({"enterprise", "admin"})


class WindowBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    devices: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]],
        Field(min_length=1, max_length=500),
    ]
    start: UtcDatetime
    end: UtcDatetime
    reason: str = Field(min_length=1, max_length=500)
    window_id: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$"
    )

    @model_validator(mode="after")
    def _bounded(self) -> WindowBody:
        if self.end <= self.start:
            raise ValueError("end: a window ends after it starts")
        if self.end - self.start > MAX_MAINTENANCE_WINDOW:
            raise ValueError("end: a maintenance window lasts at most 72 hours")
        return self


class WindowAccepted(BaseModel):
    window_id: str
    command_ids: list[str]


def _check_devices(
    svc: Services, scope: Scope, devices: list[str]
) -> list[maintenance.WindowDevice]:
    """Every device exists and is the caller's: otherwise 404, as for anything out of scope."""
    with svc.store.transaction() as conn:
        rows = conn.execute(
            "SELECT d.id, d.enterprise_id, e.division, d.family FROM devices d"
            " JOIN enterprises e ON e.id = d.enterprise_id WHERE d.id = ANY(%s)",
            (devices,),
        ).fetchall()
    visible = {r[0]: r for r in rows if scope.sees(r[1], r[2], r[3])}
    missing = sorted(set(devices) - set(visible))
    if missing:
        raise NotFound(f"no device {', '.join(missing[:5])} in your scope")
    return [maintenance.WindowDevice(r[0], r[1], str(r[2]), r[3]) for r in visible.values()]


@router.post("", status_code=202, response_model=WindowAccepted, summary="declare a window")
def declare(body: WindowBody, scope: ScopeDep, svc: ServicesDep) -> WindowAccepted:
    if scope.role not in _DECLARERS:
        raise Forbidden("only the enterprise declares its maintenance windows")
    window_id = body.window_id or uuid.uuid4().hex
    window = MaintenanceWindow(
        window_id=window_id, start=body.start, end=body.end, reason=body.reason
    )
    devices = sorted(set(body.devices))
    found = _check_devices(svc, scope, devices)
    # Recorded before the commands go out: the audit trail never misses a window in force.
    maintenance.record(
        svc.store,
        window_id=window_id,
        reason=body.reason,
        starts_at=body.start,
        ends_at=body.end,
        declared_by=scope.subject,
        declared_role=scope.role,
        devices=found,
    )
    actor = Actor(subject=scope.subject, role=scope.role, scope=scope.raw)  # type: ignore[arg-type]
    ids = []
    for device in devices:
        # Derived from the window: declaring the same window again is the same commands.
        command_id = f"{window_id}:{device}"
        svc.bus.send(
            AlarmCommand(
                command_id=command_id,
                kind="declare_maintenance",
                device_id=device,
                actor=actor,
                window=window,
                issued_at=datetime.now(UTC),
            )
        )
        ids.append(command_id)
    return WindowAccepted(window_id=window_id, command_ids=ids)


class WindowOut(BaseModel):
    window_id: str
    reason: str
    starts_at: datetime
    ends_at: datetime
    declared_by: str
    declared_role: str
    declared_at: datetime
    current: bool
    devices: list[maintenance.WindowDevice]
    suppressed: list[maintenance.SuppressedAlarm]


@router.get(
    "",
    response_model=list[WindowOut],
    summary="windows on devices in scope, latest first, with who declared them and what each"
    " suppressed",
)
def list_windows(
    scope: ScopeDep,
    svc: ServicesDep,
    state: Literal["current", "past", "upcoming", "all"] = "all",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[WindowOut]:
    now = datetime.now(UTC)
    found = maintenance.windows(
        svc.store,
        DeviceScope(scope.division_prefix, scope.family_names, scope.enterprise_id),
        now,
        state,
        limit,
    )
    return [WindowOut(**vars(w), current=w.starts_at <= now < w.ends_at) for w in found]
