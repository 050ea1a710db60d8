"""Liveness, readiness (Kafka via the feed consumer, and the database) and metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from alerts.api.deps import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(svc: ServicesDep) -> JSONResponse:
    try:
        with svc.store.transaction() as conn:
            database = conn.execute("SELECT 1").fetchone() == (1,)
    except Exception:  # any failure of the probe means "not ready"
        database = False
    ready = database and svc.hub.ready
    return JSONResponse(
        {"ready": ready, "database": database, "kafka": svc.hub.ready}, 200 if ready else 503
    )


@router.get("/metrics")
def metrics(svc: ServicesDep) -> Response:
    return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)
