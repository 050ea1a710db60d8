"""The notifications' clock: every tick it queues due reminder rounds and flapping summaries,
then sends what the outbox holds. A tick that fails (database down) is logged and the next one
tries again; nothing is lost, since every step is a row in PostgreSQL."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg

from alerts.notify.config import NotifyConfig
from alerts.notify.contacts import Directory
from alerts.notify.delivery import Deliverer
from alerts.notify.flapping import summary_row
from alerts.notify.reminders import Reminders
from storage import notifications as db
from storage.datastore import Datastore
from storage.errors import StorageError

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600.0


class Ticker:
    def __init__(
        self,
        store: Datastore,
        directory: Directory,
        deliverer: Deliverer,
        config: NotifyConfig,
        *,
        watch: Callable[[], None] | None = None,
    ) -> None:
        self._store, self._directory, self._config = store, directory, config
        self._watch = watch
        self._next_prune = 0.0
        self._deliverer = deliverer
        self._reminders = Reminders(store, directory, config)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notify-ticker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        self._deliverer.close()

    def tick(self) -> None:
        if self._watch is not None:
            self._watch()
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + PRUNE_EVERY_S
            self._store.run(lambda conn: db.prune(conn, self._config.keep_days))
        self._reminders.tick()
        self._store.run(self._summaries)
        while self._deliverer.run_once() and not self._stop.is_set():
            pass

    def _summaries(self, conn: psycopg.Connection) -> int:
        queued = 0
        for flap in db.ended_flaps(conn, self._config.flap_window_s, 200):
            summary = summary_row(flap, self._directory)
            if summary is not None:
                queued += db.enqueue(conn, summary)
        return queued

    def _run(self) -> None:
        while not self._stop.wait(self._config.tick_s):
            try:
                self.tick()
            except (StorageError, psycopg.Error) as exc:
                log.warning("notifications tick failed, next one retries: %s", exc)
            except Exception:  # a bug must not end the thread: reminders would stop silently
                log.exception("notifications tick failed, next one retries")
