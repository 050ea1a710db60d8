"""The notifications consumer: its own consumer group on the event topic, so a restart picks
up where it left off and several alerts processes share the work instead of repeating it.

Offsets are committed only after an event's notifications are in the outbox (PostgreSQL); a
redelivered event finds its keys there and adds nothing. The ticker beside it sends the outbox,
the reminders and the flapping summaries.
"""

from __future__ import annotations

import json
import logging
import threading

import psycopg
from kafka import KafkaConsumer
from kafka.errors import KafkaError

from alerts.notify.dispatcher import Dispatcher
from alerts.notify.ticker import Ticker
from schemas.kafka_access import KafkaAccess
from storage.errors import StorageError

log = logging.getLogger(__name__)


class NotificationConsumer:
    def __init__(
        self,
        kafka: KafkaAccess,
        topic: str,
        group_id: str,
        dispatcher: Dispatcher,
        ticker: Ticker | None = None,
        *,
        from_beginning: bool = False,
        retry_s: float = 1.0,
    ) -> None:
        # A new group starts at the end: notifying the whole history again helps nobody.
        self._reset = "earliest" if from_beginning else "latest"
        self._kafka, self._topic, self._group = kafka, topic, group_id
        self._dispatcher, self._ticker, self._retry_s = dispatcher, ticker, retry_s
        self._stop = threading.Event()
        self._joined = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notifications", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if self._ticker is not None:
            self._ticker.start()

    def wait_joined(self, timeout: float) -> bool:
        """True once the group has its partitions (a new group reads only what comes after)."""
        return self._joined.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        if self._ticker is not None:
            self._ticker.stop(timeout)

    def _run(self) -> None:
        consumer = KafkaConsumer(
            self._topic,
            **self._kafka.client_options(),
            group_id=self._group,
            enable_auto_commit=False,
            auto_offset_reset=self._reset,
            client_id="hw-alerts-notify",
            # A group joined before the topic's metadata arrived is assigned nothing until the
            # next metadata refresh (5 minutes by default): no alarm would be notified so long.
            metadata_max_age_ms=5000,
        )
        try:
            while not self._stop.is_set():
                batch = consumer.poll(timeout_ms=200)
                if consumer.assignment():
                    if not self._joined.is_set():
                        # Resolve the start position now, so "after joined" really means it.
                        for partition in consumer.assignment():
                            consumer.position(partition)
                    self._joined.set()
                handled = all(
                    self._handle(record.value) for records in batch.values() for record in records
                )
                if batch and handled:
                    try:
                        consumer.commit()
                    except KafkaError as exc:
                        # Handled already: a redelivery finds its notifications by their keys.
                        log.warning("notification offsets not committed (%s)", exc)
        finally:
            consumer.close()

    def _handle(self, value: bytes) -> bool:
        """False only when stopping before the event could be stored (it is not committed)."""
        while not self._stop.is_set():
            try:
                self._dispatcher.handle(json.loads(value))
                return True
            except (ValueError, KeyError) as exc:
                # A malformed event is the stream worker's bug; it must not stop notifications.
                log.error("event not notifiable: %s", exc)
                return True
            except (StorageError, psycopg.Error) as exc:
                # The database is away: keep the event (offset not committed) and try again.
                log.warning("notification not stored yet, retrying: %s", exc)
                self._stop.wait(self._retry_s)
            except Exception:
                # A bug must not end the thread (every later alarm would go unnotified).
                log.exception("event not notifiable")
                return True
        return False
