"""Builders of readings envelopes and alarm event histories for storage and sink tests."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from schemas.events import (
    Acknowledged,
    AlarmEvent,
    AlarmRaised,
    Closed,
    ConditionCleared,
    DeviceCameOnline,
    DeviceWentOffline,
    Resolved,
    Supervised,
)
from schemas.families import Family, Severity


def rid(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def envelope(
    device_id: str,
    seq: int,
    ts: datetime,
    *,
    concentration: float | None = None,
    family: str = "gas",
    division: str = "330106001001",
    enterprise_id: str = "E1",
) -> dict[str, Any]:
    payload: dict[str, Any] = {"unit": "%LEL"}
    if concentration is not None:
        payload["concentration"] = concentration
    return {
        "device_id": device_id,
        "enterprise_id": enterprise_id,
        "family": family,
        "division": division,
        "channel": "telemetry",
        "ts": ts.isoformat(),
        "seq": seq,
        "received_at": ts.isoformat(),
        "gateway_id": None,
        "payload": payload,
    }


def envelope_bytes(*args: Any, **kwargs: Any) -> bytes:
    return json.dumps(envelope(*args, **kwargs)).encode()


def alarm_history(
    *,
    device_id: str,
    raised_at: datetime,
    family: Family = Family.GAS,
    severity: Severity = Severity.ORANGE,
    division: str = "330106001001",
    enterprise_id: str = "E1",
    condition: str = "gas_level",
    ack_after: timedelta | None = None,
    close_after: timedelta | None = None,
    cause: str = "real_leak",
    supervised: bool = False,
) -> list[AlarmEvent]:
    """One alarm's events: raised, then optionally acknowledged, supervised, resolved+closed."""
    alarm_id = rid("a-")
    common: dict[str, Any] = {
        "alarm_id": alarm_id,
        "device_id": device_id,
        "enterprise_id": enterprise_id,
        "division": division,
        "family": family,
        "condition": condition,
        "severity": severity,
    }
    out: list[AlarmEvent] = [
        AlarmRaised(event_id=rid("e-"), seq=1, occurred_at=raised_at, value=30.0, **common)
    ]

    def nxt(cls: Any, at: datetime, **extra: Any) -> None:
        out.append(cls(event_id=rid("e-"), seq=len(out) + 1, occurred_at=at, **common, **extra))

    if condition == "offline" and close_after is not None:
        nxt(ConditionCleared, raised_at + close_after / 2)
    if supervised:
        nxt(Supervised, raised_at + timedelta(seconds=1), actor="county", command_id=rid())
    if ack_after is not None:
        nxt(Acknowledged, raised_at + ack_after, actor="m", command_id=rid())
    if close_after is not None:
        at = raised_at + close_after
        nxt(Resolved, at - timedelta(seconds=1), actor="m", command_id=rid(), cause=cause)
        nxt(Closed, at, actor="m", command_id=rid())
    if condition == "offline":  # the worker announces the episode beside its alarm
        out += presence(common, raised_at, None if close_after is None else close_after / 2)
    return out


def presence(
    common: dict[str, Any], went_at: datetime, back_after: timedelta | None
) -> list[AlarmEvent]:
    """An offline episode's presence events (device status and uptime come from these)."""
    device = {k: v for k, v in common.items() if k not in ("alarm_id", "condition", "severity")}
    episode = rid("p-")
    out: list[AlarmEvent] = [
        DeviceWentOffline(event_id=rid("e-"), alarm_id=episode, seq=1, occurred_at=went_at,
                          last_seen_at=went_at, offline_after_s=30.0, **device)
    ]  # fmt: skip
    if back_after is not None:
        out.append(DeviceCameOnline(event_id=rid("e-"), alarm_id=episode, seq=2,
                                    occurred_at=went_at + back_after, offline_since=went_at,
                                    **device))  # fmt: skip
    return out
