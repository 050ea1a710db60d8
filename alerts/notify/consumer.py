"""The notifications consumer: its own consumer group on the event topic, so a restart picks
up where it left off (offsets are committed only after an event's notifications went out or
were dead-lettered) and several alerts processes share the work instead of repeating it."""

from __future__ import annotations

import json
import logging
import threading

from kafka import KafkaConsumer

from alerts.notify.dispatcher import Dispatcher

log = logging.getLogger(__name__)


class NotificationConsumer:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        group_id: str,
        dispatcher: Dispatcher,
        *,
        from_beginning: bool = False,
    ) -> None:
        # A new group starts at the end: notifying the whole history again helps nobody.
        self._reset = "earliest" if from_beginning else "latest"
        self._bootstrap, self._topic, self._group = bootstrap, topic, group_id
        self._dispatcher = dispatcher
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notifications", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        consumer = KafkaConsumer(
            self._topic,
            bootstrap_servers=self._bootstrap,
            group_id=self._group,
            enable_auto_commit=False,
            auto_offset_reset=self._reset,
            client_id="hw-alerts-notify",
        )
        try:
            while not self._stop.is_set():
                batch = consumer.poll(timeout_ms=200)
                for records in batch.values():
                    for record in records:
                        self._handle(record.value)
                if batch:
                    consumer.commit()
        finally:
            consumer.close()

    def _handle(self, value: bytes) -> None:
        try:
            self._dispatcher.handle(json.loads(value))
        except (ValueError, KeyError) as exc:
            # A malformed event is the stream worker's bug; it must not stop notifications.
            log.error("event not notifiable: %s", exc)
