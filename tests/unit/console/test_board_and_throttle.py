"""The board's order and deadlines, and the login throttle: pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.accounts.throttle import ThrottlePolicy, judge
from alerts.console import board_rules as board
from schemas.deadlines import Deadlines
from storage.board import BoardRow

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def _row(
    alarm_id: str, severity: str, state: str = "open", age_s: float = 0, **view: Any
) -> BoardRow:
    return BoardRow(
        alarm_id=alarm_id, device_id="d", enterprise_id="e", enterprise_name=None,
        division="330106001001", family="gas", device_type=None, location=None,
        condition="gas_level", severity=severity, state=state, value=None,
        raised_at=NOW - timedelta(seconds=age_s), last_seq=1, view=view,
    )


def test_overdue_comes_first_then_severity_then_unacknowledged_then_oldest() -> None:
    rows = [
        _row("yellow-old", "yellow", age_s=100),
        _row("red-acked", "red", state="acknowledged", age_s=50),
        _row("red-new", "red", age_s=10),
        _row("red-old", "red", age_s=20),
        _row("orange-overdue", "orange", age_s=16 * 60),
        _row("red-suppressed", "red", age_s=30, suppressed=True),
    ]
    ordered = [r.alarm_id for r in board.order(rows, Deadlines(), NOW)]
    assert ordered == [
        "orange-overdue", "red-old", "red-new", "red-acked", "yellow-old", "red-suppressed",
    ]


def test_an_open_red_alarm_counts_down_to_acknowledge_then_to_resolve() -> None:
    deadlines = Deadlines()
    opened = board.next_deadline(_row("a", "red"), deadlines)
    assert opened is not None and (opened.kind, opened.at) == ("ack", NOW + timedelta(minutes=5))
    acked = board.next_deadline(_row("a", "red", state="acknowledged"), deadlines)
    assert acked is not None and (acked.kind, acked.at) == ("resolve", NOW + timedelta(hours=2))
    assert board.next_deadline(_row("a", "red", state="resolved"), deadlines) is None
    assert board.next_deadline(_row("a", "blue"), deadlines) is None


def test_an_escalated_alarm_is_overdue_whatever_its_clock_says() -> None:
    row = _row("a", "yellow", state="acknowledged", escalation_level="county")
    assert board.overdue(row, Deadlines(), NOW)
    assert not board.overdue(_row("b", "yellow"), Deadlines(), NOW)


def test_failed_logins_are_slowed_then_refused() -> None:
    policy = ThrottlePolicy(slow_after=3, delay_s=1.0, max_delay_s=4.0, refuse_after=10)
    assert judge(policy, 0, 0).delay_s == 0 and not judge(policy, 3, 3).refused
    assert judge(policy, 5, 5).delay_s == 2.0
    assert judge(policy, 9, 9).delay_s == 4.0 and not judge(policy, 9, 9).refused
    assert judge(policy, 10, 10).refused
    assert judge(policy, 0, 30).refused  # one address trying many usernames
    assert not judge(policy, 0, 29).refused
