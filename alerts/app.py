"""The FastAPI application: routes, the error table and request metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from starlette.routing import Match

from alerts import console
from alerts.api import (
    alarms,
    devices,
    errors,
    health,
    maintenance,
    overview,
    registry_api,
    rejections,
    reports,
    stream,
    uptime,
)
from alerts.services import Services


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="hazardwatch alerts API",
        version="1",
        description="Alarms, live feed, devices and reports of the caller's jurisdiction. "
        "Every call but /healthz, /readyz and /metrics needs `Authorization: Bearer <token>` "
        "(`./run token`). People use the console at `/console/` (accounts: `./run user`).",
        # Served from the local swagger-ui-dist by the console's assets, never a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    routers = (alarms, maintenance, stream, devices, reports, overview, uptime, health)
    for router in (*routers, registry_api, rejections):
        app.include_router(router.router)
    errors.install(app)
    if services.console is not None:
        console.install(app, errors.handle)

    @app.middleware("http")
    async def count(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        began = time.monotonic()
        response = await call_next(request)
        route = _template(app, request)
        services.metrics.requests.labels(route, request.method, str(response.status_code)).inc()
        services.metrics.request_duration.labels(route).observe(time.monotonic() - began)
        return response

    return app


def _template(app: FastAPI, request: Request) -> str:
    """The route's path template: bounded labels, never an alarm or device id."""
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match is Match.FULL:
            return str(getattr(route, "path", "other"))
    return "unmatched"
