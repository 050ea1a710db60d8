"""Builders for stream unit tests: random ids, one clock, terse commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from schemas.commands import Actor, AlarmCommand, CommandKind, MaintenanceWindow, Role
from schemas.events import Cause
from schemas.families import Family
from streams.alarms.records import DeviceContext

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
DIVISION = "330106001001"


def rid() -> str:
    return uuid4().hex[:8]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def context(family: Family = Family.GAS) -> DeviceContext:
    return DeviceContext(
        device_id=f"dev-{rid()}", enterprise_id=f"E{rid()}", division=DIVISION, family=family
    )


def actor_for(ctx: DeviceContext, role: Role = "monitor") -> Actor:
    scope = {"enterprise": ctx.enterprise_id, "monitor": DIVISION[:9], "regulator": DIVISION[:6]}
    return Actor(subject=f"user-{rid()}", role=role, scope=scope.get(role, ""))


def command(
    ctx: DeviceContext,
    kind: CommandKind,
    alarm_id: str | None,
    role: Role = "monitor",
    cause: Cause | None = None,
    seconds: float = 60,
    window: MaintenanceWindow | None = None,
) -> AlarmCommand:
    return AlarmCommand(
        command_id=rid(),
        kind=kind,
        alarm_id=alarm_id,
        device_id=ctx.device_id,
        actor=actor_for(ctx, role),
        cause=cause,
        window=window,
        issued_at=at(seconds),
    )
