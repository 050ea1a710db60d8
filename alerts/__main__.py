"""`python -m alerts`: the alerts API on uvicorn, at the address of HW_API_URL (HTTPS for an
https:// one, alerts/transport.py)."""

from __future__ import annotations

import logging

import uvicorn

from alerts.app import create_app
from alerts.bootstrap import build
from alerts.settings import AlertsSettings
from alerts.transport import StrictTransportSecurity, TransportError, uvicorn_options


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    settings = AlertsSettings()
    if not settings.api_token_secret.get_secret_value():
        raise SystemExit("HW_API_TOKEN_SECRET is empty: tokens could not be verified")
    try:
        listen = uvicorn_options(settings)
    except TransportError as exc:
        raise SystemExit(str(exc)) from exc
    services = build(settings)
    services.hub.start()
    if services.notifications is not None:
        services.notifications.start()
    try:
        uvicorn.run(
            StrictTransportSecurity(create_app(services), settings.api_hsts_max_age_s),
            **listen,
            log_level="warning",
            timeout_graceful_shutdown=3,
        )
    finally:
        if services.notifications is not None:
            services.notifications.stop()
        services.hub.stop()
        services.store.close()


if __name__ == "__main__":
    main()
