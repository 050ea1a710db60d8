"""A device's trend (设备趋势): its readings over a chosen range as an ECharts chart, raw or in
1 m / 1 h / 1 d buckets with min/avg/max bands, its thresholds as lines, its alarms and
offline episodes as areas on the time axis. The chart's option is built here, so a test can
read exactly what the page drew (`page-data`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from alerts.api.devices import threshold_lines
from alerts.console.auth import ScopeDep, ServicesDep, SessionDep
from alerts.console.templating import render
from alerts.errors import NotFound
from storage import queries, trend

router = APIRouter(prefix="/console/devices", include_in_schema=False)
RANGES = {
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}
SEVERITY_COLOURS = {"red": "#c62828", "orange": "#ef6c00", "yellow": "#f9a825", "blue": "#1565c0"}
SIGNALS = ("concentration", "residual_current_ma", "temperature_c")
MAX_ALARMS = 200
LOCAL = ZoneInfo("Asia/Shanghai")  # "up to" a day means to the end of that local day


def _series(store: Any, device_id: str, start: datetime, end: datetime) -> tuple[str, list[Any]]:
    bucket = queries.pick_bucket(start, end)
    if bucket is None:
        raw = queries.raw_readings(store, device_id, start, end)
        series = []
        for signal in SIGNALS:
            points = [[r.ts.isoformat(), getattr(r, signal)] for r in raw
                      if getattr(r, signal) is not None]  # fmt: skip
            if points:
                series.append({"type": "line", "name": signal, "showSymbol": False,
                               "data": points})  # fmt: skip
        return "raw", series
    rows = queries.bucketed_readings(store, device_id, start, end, bucket)
    series = []
    for signal in SIGNALS:
        stats = [(r.bucket.isoformat(), r.signals[signal]) for r in rows if signal in r.signals]
        if not stats:
            continue
        # The band: max - min stacked on an invisible min line; the average drawn over it.
        series += [
            {"type": "line", "name": f"{signal} min", "stack": signal, "showSymbol": False,
             "lineStyle": {"opacity": 0}, "data": [[t, s.min] for t, s in stats]},
            {"type": "line", "name": f"{signal} min-max", "stack": signal, "showSymbol": False,
             "lineStyle": {"opacity": 0}, "areaStyle": {"opacity": 0.25},
             "data": [[t, s.max - s.min] for t, s in stats]},
            {"type": "line", "name": f"{signal} avg", "showSymbol": False,
             "data": [[t, s.avg] for t, s in stats]},
        ]  # fmt: skip
    return bucket, series


def option(
    device: trend.DeviceInfo,
    store: Any,
    start: datetime,
    end: datetime,
    alarms: list[trend.AlarmMark],
    offline: list[trend.OfflineEpisode],
) -> dict[str, Any]:
    """The ECharts option of the page: readings, threshold lines, alarm and offline areas."""
    bucket, series = _series(store, device.device_id, start, end)
    lines = threshold_lines(device)
    marks = {
        "markLine": {"symbol": "none", "silent": True, "data": [
            {"name": f"{t.severity} {t.value:g}", "yAxis": t.value,
             "lineStyle": {"color": SEVERITY_COLOURS[t.severity], "type": "dashed"}}
            for t in lines]},
        "markArea": {"silent": True, "data": [
            *[[{"name": a.condition, "xAxis": a.raised_at.isoformat(),
                "itemStyle": {"color": SEVERITY_COLOURS.get(a.severity, "#999"), "opacity": 0.15}},
               {"xAxis": (a.cleared_at or a.closed_at or end).isoformat()}] for a in alarms],
            *[[{"name": "offline", "xAxis": o.started_at.isoformat(),
                "itemStyle": {"color": "#607d8b", "opacity": 0.2}},
               {"xAxis": (o.ended_at or end).isoformat()}] for o in offline],
        ]},
    }  # fmt: skip
    carrier = {"type": "line", "name": "marks", "data": [], **marks}
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "data": [s["name"] for s in series]},
        "xAxis": {"type": "time", "min": start.isoformat(), "max": end.isoformat()},
        "yAxis": {"type": "value", "scale": True},
        "grid": {"left": 56, "right": 24, "top": 40, "bottom": 32},
        "series": [*series, carrier],
        "hw": {"bucket": bucket, "thresholds": [vars(t) for t in lines] if lines else [],
               "alarms": [a.alarm_id for a in alarms], "offline": len(offline)},
    }  # fmt: skip


@router.get("/{device_id}/trend")
def trend_page(
    device_id: str,
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    svc: ServicesDep,
    range: Annotated[Literal["1h", "6h", "24h", "7d", "30d", "90d"], Query()] = "24h",
    until: date | None = None,
) -> Response:
    device = trend.device_in_scope(
        svc.store, device_id, scope.division_prefix, scope.family_names, scope.enterprise_id
    )
    if device is None:
        raise NotFound(f"no device {device_id} in your scope")
    # A range ends now, or at the end of the local day a regulator looks back to.
    end = datetime.now(UTC)
    if until is not None:
        end = min(end, datetime.combine(until + timedelta(days=1), time(), tzinfo=LOCAL))
    start = end - RANGES[range]
    # The latest alarms only: a page (and a chart) of thousands helps nobody; the history
    # search lists them all.
    alarms = trend.device_alarms(svc.store, device_id, start, end, limit=MAX_ALARMS + 1)
    offline = trend.offline_episodes(svc.store, device_id, start, end)
    chart = option(device, svc.store, start, end, alarms[-MAX_ALARMS:], offline)
    return render(
        request,
        "trend.html",
        session,
        device=device,
        range=range,
        ranges=list(RANGES),
        until=until,
        alarms=alarms[-MAX_ALARMS:],
        more_alarms=len(alarms) > MAX_ALARMS,
        offline=offline,
        page_data={"option": {k: v for k, v in chart.items() if k != "hw"}, "hw": chart["hw"]},
    )
