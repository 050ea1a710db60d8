"""The alerts service's configuration, read once in `alerts.__main__`."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from schemas.settings import Endpoints


class AlertsSettings(Endpoints):
    model_config = SettingsConfigDict(env_prefix="HW_", extra="ignore")

    api_token_secret: SecretStr = SecretStr("")
    sse_heartbeat_s: float = 15.0
    # Events a live-feed client may fall behind by before it is dropped (it can resume with
    # Last-Event-ID); a stalled client must never stall the others.
    sse_queue_size: int = 1000
    # Outbound notifications (routing + escalation) go to this webhook; empty: none are sent.
    notify_webhook_url: str = ""
    notify_webhook_secret: SecretStr = SecretStr("")
    notify_attempts: int = 5
    notify_group_id: str = "hw-alerts-notify"
