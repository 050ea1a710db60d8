"""One table from error to HTTP status, and the handlers that apply it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from alerts.errors import AlertsError, Conflict, Forbidden, NotFound, Unauthorized, Unavailable
from storage.errors import StorageError

STATUS: dict[type[Exception], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Unavailable: 503,
    StorageError: 503,
}


async def handle(_request: Request, exc: Exception) -> Response:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 500)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"detail": str(exc) or type(exc).__name__}, status, headers=headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(AlertsError, handle)
    app.add_exception_handler(StorageError, handle)
