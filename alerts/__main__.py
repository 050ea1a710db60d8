"""`python -m alerts`: the alerts API on uvicorn, at the port of HW_API_URL."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import uvicorn

from alerts.app import create_app
from alerts.bootstrap import build
from alerts.settings import AlertsSettings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    settings = AlertsSettings()
    if not settings.api_token_secret.get_secret_value():
        raise SystemExit("HW_API_TOKEN_SECRET is empty: tokens could not be verified")
    services = build(settings)
    services.hub.start()
    if services.notifications is not None:
        services.notifications.start()
    url = urlsplit(settings.api_url)
    try:
        uvicorn.run(
            create_app(services),
            host=url.hostname or "127.0.0.1",
            port=url.port or 18000,
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
