"""HTTPS for the API and the console (issue 22, docs/security.md): uvicorn's TLS options, the
rule that plain HTTP is served on loopback only, and HSTS on every answer given over HTTPS
(directly, or behind a reverse proxy on this host that sends `X-Forwarded-Proto: https`,
which uvicorn trusts from 127.0.0.1)."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alerts.settings import AlertsSettings


class TransportError(Exception):
    """A listening address and scheme that would put passwords and sessions on the wire."""


def uvicorn_options(settings: AlertsSettings) -> dict[str, Any]:
    """Host, port and, for an https:// HW_API_URL, the certificate and key to serve."""
    url = urlsplit(settings.api_url)
    host = url.hostname or "127.0.0.1"
    options: dict[str, Any] = {"host": host, "port": url.port or 18000}
    if url.scheme == "https":
        if not (settings.api_tls_cert and settings.api_tls_key):
            raise TransportError(
                "HW_API_URL is https:// but HW_API_TLS_CERT / HW_API_TLS_KEY are not set"
            )
        options |= {"ssl_certfile": settings.api_tls_cert, "ssl_keyfile": settings.api_tls_key}
    elif settings.api_plain not in ("loopback", "on"):
        raise TransportError(f"HW_API_PLAIN={settings.api_plain!r}: loopback or on")
    elif settings.api_plain == "loopback" and not _loopback(host):
        raise TransportError(
            f"HW_API_URL {settings.api_url}: plain HTTP is served on loopback only; use "
            "https:// with HW_API_TLS_CERT/HW_API_TLS_KEY, a reverse proxy on this host, or "
            "HW_API_PLAIN=on behind a proxy elsewhere (docs/security.md)"
        )
    return options


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class StrictTransportSecurity:
    """Adds `Strict-Transport-Security` to every HTTP answer of a request that came over HTTPS,
    so a browser that saw the console once never falls back to plain HTTP for it."""

    def __init__(self, app: ASGIApp, max_age_s: int) -> None:
        self.app = app
        self.on = max_age_s > 0
        self.header = (b"strict-transport-security", f"max-age={max_age_s}".encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.on or scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, with_header)
