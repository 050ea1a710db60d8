"""Sends what the outbox holds: one attempt per due row, then sent, rescheduled with backoff,
or (after the channel's last attempt, or a failure that will not heal) a dead letter."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from alerts.metrics import AlertsMetrics
from alerts.notify.config import NotifyConfig
from alerts.notify.contacts import Directory
from alerts.notify.outbox import delivery
from alerts.notify.port import Channel, DeliveryFailed
from storage import notifications as db
from storage.datastore import Datastore

log = logging.getLogger(__name__)


class Deliverer:
    def __init__(
        self,
        store: Datastore,
        directory: Directory,
        channels: dict[str, Channel],
        config: NotifyConfig,
        metrics: AlertsMetrics,
        batch: int = 50,
        senders: int = 4,
    ) -> None:
        self._store, self._directory, self._channels = store, directory, channels
        self._config, self._metrics, self._batch = config, metrics, batch
        # A few sends at once: one robot that times out must not hold up everybody else's.
        self._pool = ThreadPoolExecutor(max_workers=senders, thread_name_prefix="notify-send")

    def run_once(self) -> int:
        """Attempt every due row (up to one batch); returns how many were attempted."""
        due = self._store.run(lambda c: db.claim_due(c, self._batch, self._config.lease_s))
        list(self._pool.map(self._attempt, due))
        return len(due)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _attempt(self, stored: db.OutboxRow) -> None:
        attempts = stored.attempts + 1
        found = delivery(stored, self._directory)
        name = found.contact.channel if found else stored.channel
        channel = self._channels.get(name)
        if found is None or channel is None:
            error, retryable = f"no such contact or channel now: {stored.contact} ({name})", False
        else:
            try:
                channel.send(found)
            except DeliveryFailed as exc:
                error, retryable = exc.reason, exc.retryable
            except Exception as exc:  # a channel's bug must not stop the others' deliveries
                log.exception("channel %s failed on %s", name, stored.key)
                error, retryable = f"{type(exc).__name__}", True
            else:
                self._store.run(lambda c: db.mark_sent(c, stored.key, attempts))
                self._metrics.notifications.labels(name, "sent").inc()
                return
        policy = self._config.retry_for(name)
        if retryable and attempts < policy.attempts:
            delay = policy.delay(attempts)
            self._store.run(lambda c: db.reschedule(c, stored.key, attempts, delay, error))
            self._metrics.notifications.labels(name, "retried").inc()
            return
        self._store.run(lambda c: db.bury(c, stored, attempts, error))
        self._metrics.notifications.labels(name, "failed").inc()
        log.error("notification %s to %s dead-lettered: %s", stored.key, stored.contact, error)
