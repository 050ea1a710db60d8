"""The weekly and monthly report (周调度、月小结) of the account's jurisdiction as a printable
page with charts, and as CSV: the same figures (`storage.reports.figures`), each with how it
is computed."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from alerts.api import periods
from alerts.api.reports import CSV_COLUMNS
from alerts.console.auth import ScopeDep, ServicesDep, SessionDep
from alerts.console.templating import render
from alerts.csv_export import to_csv
from alerts.errors import NotFound
from storage.reports import HOW, Report, figures, report

router = APIRouter(prefix="/console/reports", include_in_schema=False)
Kind = Literal["weekly", "monthly"]
_PERIOD: dict[str, periods.Period] = {"weekly": "week", "monthly": "month"}
Division = Annotated[str | None, Query(pattern=r"^[0-9]{1,12}$")]


def _report(scope: Any, svc: Any, kind: Kind, start: date | None, division: str | None) -> Report:
    if scope.enterprise_id:
        raise NotFound("reports are per jurisdiction: none in an enterprise's scope")
    prefix = periods.jurisdiction(scope, division)
    begin, end = periods.bounds(_PERIOD[kind], start)
    return report(svc.store, prefix, begin, end, scope.family_names, svc.reports)


def charts(r: Report) -> dict[str, Any]:
    """ECharts options of the page: alarms by family and severity, false-alarm rate and uptime
    by enterprise (with the 95 % line)."""
    families = sorted({f for f, _ in r.by_family_severity})
    colours = {"red": "#c62828", "orange": "#ef6c00", "yellow": "#f9a825", "blue": "#1565c0"}
    enterprises = [e.enterprise_id for e in r.enterprises]
    return {
        "alarms": {
            "animation": False, "tooltip": {}, "legend": {},
            "xAxis": {"type": "category", "data": families}, "yAxis": {"type": "value"},
            "series": [{"type": "bar", "stack": "a", "name": s, "itemStyle": {"color": c},
                        "data": [r.by_family_severity.get((f, s), 0) for f in families]}
                       for s, c in colours.items()],
        },
        "false_alarms": {
            "animation": False, "tooltip": {},
            "xAxis": {"type": "category", "data": enterprises},
            "yAxis": {"type": "value", "max": 1},
            "series": [{"type": "bar", "data": [e.false_alarm_rate for e in r.enterprises]}],
        },
        "uptime": {
            "animation": False, "tooltip": {},
            "xAxis": {"type": "category", "data": enterprises},
            "yAxis": {"type": "value", "min": 0, "max": 100},
            "series": [{"type": "bar", "data": [e.uptime_pct for e in r.enterprises],
                        "markLine": {"symbol": "none", "data": [{"yAxis": 95}]}}],
        },
    }  # fmt: skip


@router.get("/{kind}.csv")
def report_csv(
    kind: Kind,
    _session: SessionDep,
    scope: ScopeDep,
    svc: ServicesDep,
    start: date | None = None,
    division: Division = None,
) -> Response:
    r = _report(scope, svc, kind, start, division)
    rows = [[f.figure, f.family, f.severity, f.enterprise, f.measure, f.value, HOW[f.figure]]
            for f in figures(r)]  # fmt: skip
    return to_csv(CSV_COLUMNS, rows, f"{kind}-{r.division_prefix}-{r.start.date()}.csv")


# After the CSV route: "/monthly.csv" would match "/{kind}" too.
@router.get("/{kind}")
def report_page(
    kind: Kind,
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    svc: ServicesDep,
    start: date | None = None,
    division: Division = None,
) -> Response:
    r = _report(scope, svc, kind, start, division)
    query = f"start={r.start.date()}&division={r.division_prefix}"
    return render(
        request,
        "report.html",
        session,
        kind=kind,
        r=r,
        figures=figures(r),
        how=HOW,
        csv_url=f"/console/reports/{kind}.csv?{query}",
        page_data={"charts": charts(r)},
    )
