"""Dead-letter adapters: where a notification goes after its last failed attempt."""

from __future__ import annotations

import logging

from alerts.notify.port import Notification

log = logging.getLogger(__name__)


class LoggedDeadLetters:
    """Keeps the last `keep` dead letters for inspection and logs each one as an error, so an
    operator alert on the `failed` notifications metric has something to point at."""

    def __init__(self, keep: int = 1000) -> None:
        self._keep = keep
        self.letters: list[tuple[Notification, str]] = []

    def put(self, notification: Notification, reason: str) -> None:
        log.error("notification %s dead-lettered: %s", notification.idempotency_key, reason)
        self.letters.append((notification, reason))
        del self.letters[: -self._keep]
