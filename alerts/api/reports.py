"""Weekly and monthly reports per jurisdiction (DOMAIN section 5), JSON or CSV, computed from
the event log so the numbers can be reproduced. The CSV carries every figure of the JSON (one
row per figure, each with how it is computed), not only the counts."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter

from alerts.api import periods
from alerts.api.deps import ScopeDep, ServicesDep
from alerts.csv_export import to_csv
from alerts.errors import NotFound
from storage.reports import HOW, Report, figures, report

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
CSV_COLUMNS = ("figure", "family", "severity", "enterprise", "measure", "value", "how_computed")
_PERIOD: dict[str, periods.Period] = {"weekly": "week", "monthly": "month"}


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
        "repeat_tamper_offenders": [e.enterprise_id for e in r.repeat_tamper_offenders],
        "figures": [vars(f) for f in figures(r)],
        "how_computed": HOW,
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
    if scope.enterprise_id:
        raise NotFound("reports are per jurisdiction: none in an enterprise's scope")
    prefix = periods.jurisdiction(scope, division)
    begin, end = periods.bounds(_PERIOD[kind], start)
    result = report(svc.store, prefix, begin, end, scope.family_names, svc.reports)
    if format == "csv":
        rows = [
            [f.figure, f.family, f.severity, f.enterprise, f.measure, f.value, HOW[f.figure]]
            for f in figures(result)
        ]
        return to_csv(CSV_COLUMNS, rows, f"{kind}-{prefix}-{begin.date()}.csv")
    return _as_json(result)
