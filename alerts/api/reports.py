"""Weekly and monthly reports per jurisdiction (DOMAIN section 5), JSON or CSV, computed from
the event log so the numbers can be reproduced."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from fastapi import APIRouter

from alerts.api.deps import ScopeDep, ServicesDep
from alerts.csv_export import to_csv
from alerts.errors import NotFound
from storage.reports import Report, report

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


def _period(kind: str, start: date) -> tuple[datetime, datetime]:
    begin = datetime.combine(start, time(), tzinfo=UTC)
    if kind == "weekly":
        return begin, begin + timedelta(days=7)
    month_end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return begin, datetime.combine(month_end, time(), tzinfo=UTC)


def _as_json(r: Report) -> dict[str, Any]:
    return {
        "division": r.division_prefix,
        "start": r.start,
        "end": r.end,
        "alarms_by_family_severity": [
            {"family": f, "severity": s, "alarms": n}
            for (f, s), n in sorted(r.by_family_severity.items())
        ],
        "time_to_acknowledge_s": vars(r.time_to_acknowledge),
        "time_to_close_s": vars(r.time_to_close),
        "overdue": r.overdue,
        "supervised": r.supervised,
        "enterprises": [vars(e) for e in r.enterprises],
        "online_rate_pct": r.online_rate_pct,
        "enterprises_below_95pct": r.below_target,
    }


@router.get("/{kind}", summary="weekly or monthly report of a jurisdiction")
def get_report(
    kind: Literal["weekly", "monthly"],
    scope: ScopeDep,
    svc: ServicesDep,
    division: str | None = None,
    start: date | None = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    prefix = division if division is not None else scope.division_prefix
    if not prefix.isdigit() and prefix:
        raise NotFound("a division is a prefix of digits")
    if not prefix.startswith(scope.division_prefix) or scope.enterprise_id:
        raise NotFound(f"no jurisdiction {prefix} in your scope")
    today = datetime.now(UTC).date()
    first = start or (
        today - timedelta(days=today.weekday()) if kind == "weekly" else today.replace(day=1)
    )
    begin, end = _period(kind, first)
    result = report(svc.store, prefix, begin, end, scope.family_names)
    if format == "csv":
        rows = [(f, s, n) for (f, s), n in sorted(result.by_family_severity.items())]
        return to_csv(("family", "severity", "alarms"), rows, f"{kind}-{prefix}-{first}.csv")
    return _as_json(result)
