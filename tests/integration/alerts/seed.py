"""Alarms put in place the way the sink does: events appended to the log, the view saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from schemas.events import AlarmRaised
from storage import events, projections
from storage.datastore import Datastore

TOWNSHIP = "330106001"
NEIGHBOUR = "330106002"


def seed_alarm(
    store: Datastore,
    *,
    division: str = TOWNSHIP + "001",
    family: str = "gas",
    state: str = "open",
    enterprise_id: str | None = None,
) -> dict[str, Any]:
    """One alarm in `state` (its view; the log holds its AlarmRaised)."""
    raised_at = datetime.now(UTC) - timedelta(minutes=5)
    raised = AlarmRaised(
        event_id=uuid4().hex,
        alarm_id=f"A{uuid4().hex[:8]}",
        seq=1,
        occurred_at=raised_at,
        device_id=f"D{uuid4().hex[:8]}",
        enterprise_id=enterprise_id or f"E{uuid4().hex[:8]}",
        division=division,
        family=family,  # type: ignore[arg-type]
        condition="level2",
        severity="red",  # type: ignore[arg-type]
    )
    view: dict[str, Any] = {
        **{k: getattr(raised, k) for k in ("alarm_id", "device_id", "enterprise_id", "division")},
        "family": family,
        "condition": raised.condition,
        "severity": "red",
        "state": state,
        "cleared": False,
        "supervised": False,
        "suppressed": False,
        "escalation_level": "township",
        "raised_at": raised_at.isoformat(),
        "last_seq": 1,
        "updated_at": raised_at.isoformat(),
    }
    with store.transaction() as conn:
        events.append(conn, raised)
        projections.save_alarm(conn, view)
    return view


def seed_device(store: Datastore, enterprise_id: str, division: str, family: str = "gas") -> str:
    """A registered device of a (new or existing) enterprise; returns its id."""
    device_id = f"D{uuid4().hex[:8]}"
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO enterprises (id, name, division, industry) VALUES (%s, %s, %s, 'catering')"
            " ON CONFLICT (id) DO NOTHING",
            (enterprise_id, enterprise_id, division),
        )
        conn.execute(
            "INSERT INTO devices (id, enterprise_id, family, type, report_interval_s)"
            " VALUES (%s, %s, %s, 'combustible', 10)",
            (device_id, enterprise_id, family),
        )
    return device_id
