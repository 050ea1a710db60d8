"""The live board's model: order, deadlines and the overdue mark (pure, shared by the page
and its tests; the browser applies the same rules to live events in static/board.js)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.deadlines import Deadlines
from schemas.families import Severity
from storage.board import BoardRow

_RANK = {"red": 0, "orange": 1, "yellow": 2, "blue": 3}
_UNRESOLVED = frozenset({"open", "acknowledged", "dispatched"})


@dataclass(frozen=True)
class Deadline:
    kind: str  # "ack" | "resolve"
    at: datetime


def next_deadline(row: BoardRow, deadlines: Deadlines) -> Deadline | None:
    """The deadline the alarm is counting down to now: acknowledge, then resolve."""
    limits = deadlines.for_severity(Severity(row.severity))
    if limits is None or row.view.get("suppressed"):
        return None
    ack, resolve = limits
    if row.state == "open":
        return Deadline("ack", row.raised_at + ack)
    if row.state in _UNRESOLVED:
        return Deadline("resolve", row.raised_at + resolve)
    return None


def overdue(row: BoardRow, deadlines: Deadlines, now: datetime) -> bool:
    if row.view.get("escalation_level", "township") != "township":
        return True
    found = next_deadline(row, deadlines)
    return found is not None and now >= found.at


def order(rows: list[BoardRow], deadlines: Deadlines, now: datetime) -> list[BoardRow]:
    """Suppressed last; overdue on top; then most severe; unacknowledged before handled ones;
    oldest first."""
    return sorted(
        rows,
        key=lambda r: (
            bool(r.view.get("suppressed")),
            not overdue(r, deadlines, now),
            _RANK.get(r.severity, 9),
            r.state != "open",
            r.raised_at,
        ),
    )


def deadline_table(deadlines: Deadlines) -> dict[str, list[float] | None]:
    """Seconds (ack, resolve) per severity, for the page's script."""
    table: dict[str, list[float] | None] = {}
    for severity in Severity:
        limits = deadlines.for_severity(severity)
        second = timedelta(seconds=1)
        table[severity.value] = None if limits is None else [limit / second for limit in limits]
    return table
