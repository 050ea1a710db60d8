"""The alerts service's configuration, read once in `alerts.__main__`."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from schemas.settings import Endpoints


class AlertsSettings(Endpoints):
    model_config = SettingsConfigDict(env_prefix="HW_", extra="ignore")

    api_token_secret: SecretStr = SecretStr("")
    # HTTPS (alerts/transport.py): with an https:// HW_API_URL the service serves this
    # certificate (PEM, chain first) and key, e.g. the stack's `secrets/tls/server.crt`/`.key`
    # or an operator's; HSTS goes on every HTTPS answer (0: none).
    api_tls_cert: str = ""
    api_tls_key: str = ""
    api_hsts_max_age_s: int = 365 * 86400
    # Plain http:// on a non-loopback address is refused unless "on": a TLS-terminating proxy
    # on another host, on a network the operator trusts (docs/security.md).
    api_plain: str = "loopback"
    sse_heartbeat_s: float = 15.0
    # Events a live-feed client may fall behind by before it is dropped (it can resume with
    # Last-Event-ID); a stalled client must never stall the others.
    sse_queue_size: int = 1000
    # A machine webhook told of every notification, besides the contacts of notify_contacts.
    notify_webhook_url: str = ""
    notify_webhook_secret: SecretStr = SecretStr("")
    notify_attempts: int = 0  # 0: each channel's own (alerts/notify/config.py)
    notify_group_id: str = "hw-alerts-notify"
    # Issue 18 (alerts/notify/wiring.py says what each does).
    console_url: str = ""  # links in messages; empty: api_url
    notify_contacts: str = ""  # the contacts YAML
    notify_log: bool = False  # every audience also gets the log channel (development, demo)
    notify_sms_url: str = ""
    notify_sms_token: SecretStr = SecretStr("")
    notify_sms_template: str = ""
    notify_sms_sign_name: str = ""
    notify_remind_red_s: float = 300.0  # 0: no reminders
    notify_remind_orange_s: float = 900.0
    notify_remind_yellow_s: float = 3600.0
    notify_remind_blue_s: float = 0.0
    notify_flap_window_s: float = 600.0
    notify_flap_limit: int = 3
    notify_backoff_s: float = 0.0  # 0: each channel's own first backoff
    notify_tick_s: float = 1.0
    # The console (alerts/console/): a session ends after this long without a request.
    console_session_idle_s: float = 8 * 3600
    # Failed logins: from the 4th in the window on, each answer waits this long more.
    console_login_delay_s: float = 1.0
    console_login_refuse_after: int = 10
    console_login_window_s: float = 900.0
