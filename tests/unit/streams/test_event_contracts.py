from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.commands import AlarmCommand, parse_command
from schemas.events import AlarmRaised, encode_event, parse_event
from schemas.families import Family, Severity

from .factories import T0, rid


def raised(**overrides: Any) -> AlarmRaised:
    fields = dict(
        event_id=rid(),
        alarm_id=rid(),
        seq=1,
        occurred_at=T0,
        device_id=rid(),
        enterprise_id=rid(),
        division="330106001001",
        family=Family.GAS,
        condition="gas_level",
        severity=Severity.RED,
        value=55.0,
        threshold=50.0,
    )
    return AlarmRaised(**{**fields, **overrides})


def test_an_event_survives_the_wire_unchanged():
    event = raised()
    assert parse_event(encode_event(event)) == event


def test_the_type_field_picks_the_event_class():
    decoded = parse_event(encode_event(raised()).decode())
    assert isinstance(decoded, AlarmRaised)


def test_times_are_normalised_to_utc():
    beijing = timezone(timedelta(hours=8))
    event = raised(occurred_at=datetime(2026, 3, 1, 16, 0, tzinfo=beijing))
    assert event.occurred_at == T0 and event.occurred_at.utcoffset() == timedelta(0)


def test_a_naive_time_or_bad_division_is_refused():
    with pytest.raises(ValidationError):
        raised(occurred_at=datetime(2026, 3, 1, 8, 0))
    with pytest.raises(ValidationError):
        raised(division="3301")


def test_events_are_frozen():
    with pytest.raises(ValidationError):
        raised().seq = 2


def command_json(**overrides: Any) -> str:
    fields = dict(
        command_id=rid(),
        kind="acknowledge",
        alarm_id=rid(),
        device_id=rid(),
        actor={"subject": "u", "role": "monitor", "scope": "330106001"},
        issued_at="2026-03-01T08:00:00Z",
    )
    return AlarmCommand.model_validate({**fields, **overrides}).model_dump_json()


def test_a_command_survives_the_wire_unchanged():
    raw = command_json()
    assert parse_command(raw).model_dump_json() == raw


def test_an_alarm_command_without_an_alarm_id_is_refused():
    with pytest.raises(ValidationError):
        command_json(alarm_id=None)


def test_a_maintenance_window_over_72_hours_is_refused():
    window = {
        "window_id": rid(),
        "start": "2026-03-01T00:00:00Z",
        "end": "2026-03-04T00:00:01Z",
        "reason": "overhaul",
    }
    with pytest.raises(ValidationError):
        command_json(kind="declare_maintenance", alarm_id=None, window=window)
