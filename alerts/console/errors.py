"""How the console answers an error: a page for a person, JSON for its scripts, a redirect
to the login form when there is no session. API paths keep the API's JSON answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from alerts.console.auth import CsrfFailed, LoginRequired
from alerts.console.templating import render
from alerts.errors import AlertsError, NotFound, Unavailable

Handler = Callable[[Request, Exception], Awaitable[Response]]

_PAGE = {NotFound: (404, "error.not_found"), Unavailable: (503, "error.unavailable")}


def _for_script(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept or "text/event-stream" in accept or (
        request.url.path.endswith(("/stream", "/card"))
        or "/commands/" in request.url.path
    )


def install(app: FastAPI, api_handler: Handler) -> None:
    async def handle(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith("/console"):
            return await api_handler(request, exc)
        if isinstance(exc, LoginRequired):
            if _for_script(request):
                return JSONResponse({"detail": "login required"}, 401)
            return RedirectResponse(exc.location, status_code=303)
        if isinstance(exc, CsrfFailed):
            status, message = 403, "error.csrf"
        else:
            status, message = next(
                (v for kind, v in _PAGE.items() if isinstance(exc, kind)), (400, "error.generic")
            )
        if _for_script(request):
            return JSONResponse({"detail": str(exc)}, status)
        return render(request, "error.html", status_code=status, message=message)

    app.add_exception_handler(AlertsError, handle)
