"""What the jurisdiction pages share: the period a request names, and the jurisdiction it asks
for checked against the caller's scope (outside it: 404, as for an alarm or a device)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from fastapi.exceptions import RequestValidationError

from alerts.auth.scope import Scope
from alerts.errors import NotFound

Period = Literal["day", "week", "month"]


def bounds(
    kind: Period, start: date | None, today: date | None = None
) -> tuple[datetime, datetime]:
    """[start, end) of the period in UTC; without `start`, the period containing today (weeks
    start on Monday, months on the 1st)."""
    today = today or datetime.now(UTC).date()
    if start is None:
        start = {
            "day": today,
            "week": today - timedelta(days=today.weekday()),
            "month": today.replace(day=1),
        }[kind]
    begin = datetime.combine(start, time(), tzinfo=UTC)
    if kind == "day":
        return begin, begin + timedelta(days=1)
    if kind == "week":
        return begin, begin + timedelta(days=7)
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return begin, datetime.combine(following, time(), tzinfo=UTC)


def jurisdiction(scope: Scope, division: str | None) -> str:
    """The division prefix to report on: the caller's own, or a narrower one inside it."""
    prefix = scope.division_prefix if division is None else division
    if prefix and not (prefix.isdigit() and len(prefix) <= 12):
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "division"),
                    "msg": "a division is up to 12 digits",
                    "type": "value_error",
                }
            ]
        )
    if not prefix.startswith(scope.division_prefix):
        raise NotFound(f"no jurisdiction {prefix} in your scope")
    return prefix
