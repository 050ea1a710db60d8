"""The web console (DESIGN section 13): server-rendered pages for the people who handle alarms,
served by the alerts service beside the API and calling the same services."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from alerts.console import errors
from alerts.console.errors import Handler
from alerts.console.routes import (
    alarm,
    assets,
    board,
    dead_letters,
    devices,
    enterprise,
    history,
    login,
    maintenance,
    overview,
    reports,
    trend,
    uptime,
)

log = logging.getLogger(__name__)
# Part 2's rooms register here too: one line each.
ROUTERS = (
    *(login.router, board.router, alarm.router, devices.router, assets.router),
    overview.router,
    history.router,
    trend.router,
    reports.router,
    uptime.router,
    maintenance.router,
    enterprise.router,
    dead_letters.router,
)


def install(app: FastAPI, api_handler: Handler) -> None:
    for router in ROUTERS:
        app.include_router(router)
    assets.install_docs(app)
    errors.install(app, api_handler)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/board", status_code=303)

    missing = assets.missing_vendor_files()
    if missing:
        log.warning("console libraries missing (%s): run ./run once to npm ci", ", ".join(missing))
