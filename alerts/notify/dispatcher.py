"""From an alarm event to delivered notifications: the handler a notifications consumer calls."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from alerts.notify.policy import notifications_for
from alerts.notify.port import NotificationFailed, Notifier
from alerts.routing import RoutingTable

log = logging.getLogger(__name__)

IndustryOf = Callable[[str], str]


class Dispatcher:
    def __init__(self, table: RoutingTable, industry_of: IndustryOf, notifier: Notifier) -> None:
        self._table, self._industry_of, self._notifier = table, industry_of, notifier

    def handle(self, event: Mapping[str, Any]) -> int:
        """Notify every audience of the event; returns how many notifications were delivered.

        A notification that exhausted its retries is already dead-lettered and counted by the
        notifier; the others of the same event still go out.
        """
        industry = self._industry_of(str(event.get("enterprise_id", "")))
        delivered = 0
        for notification in notifications_for(self._table, event, industry):
            try:
                self._notifier.notify(notification)
            except NotificationFailed:
                log.warning("notification %s failed", notification.idempotency_key)
                continue
            delivered += 1
        return delivered
