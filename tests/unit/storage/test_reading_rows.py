from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from storage.readings import STATUS_SEQ, BadReading, row_from_envelope


def _envelope(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "device_id": f"d-{uuid4().hex[:8]}",
        "enterprise_id": "E1",
        "family": "fire",
        "division": "330106001001",
        "channel": "telemetry",
        "ts": "2026-05-01T08:00:00Z",
        "seq": 7,
        "received_at": 1777622400123,
        "payload": {"residual_current_ma": 35, "temperature_c": 41.5},
    }
    base.update(changes)
    return base


def test_a_fire_reading_fills_its_signal_columns_and_keeps_the_payload() -> None:
    row = row_from_envelope(_envelope())
    assert (row.residual_current_ma, row.temperature_c, row.concentration) == (35.0, 41.5, None)
    assert row.ts == datetime(2026, 5, 1, 8, tzinfo=UTC)
    assert row.received_at.tzinfo is not None
    assert '"residual_current_ma": 35' in row.payload


def test_a_status_message_without_seq_gets_the_status_seq() -> None:
    row = row_from_envelope(_envelope(channel="status", seq=None, payload={"state": "offline"}))
    assert row.seq == STATUS_SEQ
    assert row.state == "offline"


@pytest.mark.parametrize(
    "changes",
    [
        {"seq": None},
        {"ts": "yesterday"},
        {"ts": "2026-05-01T08:00:00"},
        {"device_id": ""},
        {"payload": {"concentration": "high"}},
        {"payload": ["not", "an", "object"]},
    ],
)
def test_an_envelope_that_cannot_be_a_row_is_refused_with_a_reason(changes: dict[str, Any]) -> None:
    with pytest.raises(BadReading) as refused:
        row_from_envelope(_envelope(**changes))
    assert refused.value.reason


def test_a_missing_field_is_refused() -> None:
    envelope = _envelope()
    del envelope["family"]
    with pytest.raises(BadReading):
        row_from_envelope(envelope)
