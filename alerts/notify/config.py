"""The notification knobs, read from `AlertsSettings` once in `alerts.bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts per message and the backoff between them (doubling, capped)."""

    attempts: int = 5
    backoff_s: float = 2.0
    max_backoff_s: float = 300.0

    def delay(self, failed_attempts: int) -> float:
        return float(min(self.max_backoff_s, self.backoff_s * 2 ** (failed_attempts - 1)))


# Robots take at most 20 messages a minute (DingTalk, WeCom), so their retries spread over a few
# minutes (5 + 10 + 20 + 40 + 80 s); SMS is paid per attempt and gateways retry themselves, so
# it tries less often.
DEFAULT_RETRY = {
    "webhook": RetryPolicy(5, 1.0),
    "wecom": RetryPolicy(6, 5.0),
    "dingtalk": RetryPolicy(6, 5.0),
    "feishu": RetryPolicy(6, 5.0),
    "sms": RetryPolicy(3, 10.0),
    "log": RetryPolicy(1, 0.0),
}


@dataclass(frozen=True)
class NotifyConfig:
    console_url: str
    # Seconds between reminders of an unacknowledged alarm, per severity; 0: no reminders.
    remind_s: dict[str, float] = field(
        default_factory=lambda: {"red": 300.0, "orange": 900.0, "yellow": 3600.0, "blue": 0.0}
    )
    # Per contact and device: at most `flap_limit` alarm messages per `flap_window_s`; the rest
    # are merged into one summary when the window ends.
    flap_window_s: float = 600.0
    flap_limit: int = 3
    retry: dict[str, RetryPolicy] = field(default_factory=lambda: dict(DEFAULT_RETRY))
    tick_s: float = 1.0
    # Longest a send may take before another process may try the same row again.
    lease_s: float = 30.0
    # Sent messages (their keys), stopped reminders and idle flapping windows older than this
    # are forgotten (storage.notifications.prune).
    keep_days: float = 30.0

    def retry_for(self, channel: str) -> RetryPolicy:
        return self.retry.get(channel, RetryPolicy())
