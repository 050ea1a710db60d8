from __future__ import annotations

from typing import Any
from uuid import uuid4

from alerts.notify.policy import notifications_for
from alerts.routing import load_table

SITE = "330106001001"


def _event(kind: str, **over: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "event_id": uuid4().hex[:8],
        "alarm_id": uuid4().hex[:8],
        "division": SITE,
        "family": "gas",
        "severity": "red",
    }
    event.update(over)
    return event


def test_a_raised_alarm_notifies_the_township_and_the_industry_regulator() -> None:
    sent = notifications_for(load_table(), _event("AlarmRaised"), "catering")
    assert [(n.kind, n.audience.name) for n in sent] == [
        ("alarm", "township"),
        ("alarm", "gas_authority"),
    ]


def test_an_alarm_in_a_maintenance_window_notifies_nobody() -> None:
    event = _event("AlarmRaised", suppressed_window=uuid4().hex[:8])
    assert notifications_for(load_table(), event, "catering") == []


def test_an_escalation_reminds_the_township_and_alerts_the_next_level() -> None:
    sent = notifications_for(load_table(), _event("Escalated", level="county"), "catering")
    assert [(n.kind, n.audience.name, n.audience.division_prefix) for n in sent] == [
        ("reminder", "township", "330106001"),
        ("escalation", "county", "330106"),
    ]


def test_the_same_event_gives_the_same_idempotency_keys_and_different_audiences_differ() -> None:
    event = _event("AlarmRaised")
    first = notifications_for(load_table(), event, "chemical")
    again = notifications_for(load_table(), event, "chemical")
    keys = [n.idempotency_key for n in first]
    assert keys == [n.idempotency_key for n in again]
    assert len(set(keys)) == len(keys)
    assert all(key.startswith(event["event_id"]) for key in keys)


def test_lifecycle_steps_notify_nobody() -> None:
    for kind in ("Acknowledged", "Dispatched", "Resolved", "Closed", "ConditionCleared"):
        assert notifications_for(load_table(), _event(kind), "chemical") == []
