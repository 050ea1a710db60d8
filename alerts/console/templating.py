"""Rendering a page: Jinja2 templates with autoescaping, the person's catalogue and session."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from alerts.accounts.sessions import Session
from alerts.console import i18n

_CHINA = ZoneInfo("Asia/Shanghai")
_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _json(value: Any) -> Markup:
    """JSON for a `<script type="application/json">` block: `<` escaped so no tag can close it."""
    text = json.dumps(value, ensure_ascii=False, default=str).replace("<", "\\u003c")
    return Markup(text)


def _local(moment: datetime | str | None) -> str:
    # Offices work in China Standard Time; the ISO value stays in a data attribute.
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment.astimezone(_CHINA).strftime("%Y-%m-%d %H:%M:%S")


_env.filters["tojson_safe"] = _json
_env.filters["local"] = _local


def language(request: Request) -> str:
    return i18n.choose(
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
    )


def render(
    request: Request,
    template: str,
    session: Session | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = language(request)
    catalogue = i18n.catalogue(lang)
    html = _env.get_template(template).render(
        request=request,
        _=catalogue.gettext,
        lang=catalogue.html_lang,
        language=lang,
        session=session,
        account=session.account if session else None,
        csrf_token=session.csrf_token if session else "",
        now=datetime.now(UTC),
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    asked = request.query_params.get("lang")
    if asked and i18n.choose(asked, None, None) == lang:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="strict")
    # Pages hold personal data and live state: never served from a cache.
    response.headers["Cache-Control"] = "no-store"
    return response
