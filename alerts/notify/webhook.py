"""Webhook adapter of the `Notifier` port: an HMAC-SHA256-signed JSON POST per notification.

The receiver checks `X-Hazardwatch-Signature: sha256=<hex of HMAC(secret, body)>` and drops a
repeated `Idempotency-Key`. Failures (connection errors, 5xx, 429) are retried with exponential
backoff; after `attempts` failures the notification goes to the dead letters.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable

import httpx

from alerts.metrics import AlertsMetrics
from alerts.notify.port import DeadLetters, Notification, NotificationFailed

SIGNATURE_HEADER = "X-Hazardwatch-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class WebhookNotifier:
    def __init__(
        self,
        url: str,
        secret: str,
        dead_letters: DeadLetters,
        metrics: AlertsMetrics,
        *,
        attempts: int = 5,
        backoff_s: float = 0.5,
        timeout_s: float = 5.0,
        remember: int = 10_000,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._url, self._secret = url, secret.encode()
        self._dead, self._metrics = dead_letters, metrics
        self._attempts, self._backoff_s, self._sleep = attempts, backoff_s, sleep
        self._client = httpx.Client(timeout=timeout_s)
        # Keys already delivered, so a redelivered event is not sent again; bounded (LRU).
        self._sent: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    def notify(self, notification: Notification) -> None:
        key = notification.idempotency_key
        if key in self._sent:
            self._sent.move_to_end(key)
            return
        body = notification.model_dump_json().encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, body),
            IDEMPOTENCY_HEADER: key,
        }
        reason = ""
        for attempt in range(self._attempts):
            if attempt:
                self._metrics.notifications.labels("retried").inc()
                self._sleep(self._backoff_s * 2 ** (attempt - 1))
            reason, retryable = self._post(body, headers)
            if not reason:
                self._metrics.notifications.labels("sent").inc()
                self._remember_sent(key)
                return
            if not retryable:
                break
        self._metrics.notifications.labels("failed").inc()
        self._dead.put(notification, reason)
        raise NotificationFailed(f"{key}: {reason} after {self._attempts} attempts")

    def close(self) -> None:
        self._client.close()

    def _post(self, body: bytes, headers: dict[str, str]) -> tuple[str, bool]:
        """('', _) on success, else why it failed and whether another attempt may succeed."""
        try:
            response = self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}", True
        status = response.status_code
        if status < 300:
            return "", False
        # A 4xx other than 429 (bad signature, unknown endpoint) will not heal by retrying.
        return f"HTTP {status}", status >= 500 or status == 429

    def _remember_sent(self, key: str) -> None:
        self._sent[key] = None
        if len(self._sent) > self._remember:
            self._sent.popitem(last=False)
