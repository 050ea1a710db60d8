"""The handling time limits per severity (schemas.deadlines), as the overview and the
`overdue` filter of the alarm list count them: read once from HW_DEADLINE_*, as the stream
worker reads them at its entrypoint, so both count to the same limits."""

from __future__ import annotations

from functools import cache

from schemas.deadlines import Deadlines
from schemas.families import Severity


@cache
def by_severity() -> tuple[tuple[str, float, float], ...]:
    """(severity, acknowledge within s, resolve within s) for each severity that has limits."""
    deadlines = Deadlines.from_env()
    found = []
    for severity in Severity:
        pair = deadlines.for_severity(severity)
        if pair is not None:
            found.append((severity.value, pair[0].total_seconds(), pair[1].total_seconds()))
    return tuple(found)
