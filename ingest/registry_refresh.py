"""Keeps the gateway's registry snapshot current without a restart.

Three ways, cheapest first: PostgreSQL notifies `hw_registry` with the new version on every
change (migration 0008), and a listener thread reloads at once; the version row is polled every
`period_s` in case a notification was missed (a dropped connection); and a reading of a device
the snapshot does not know makes the gateway look once more (a few at once, then one per
`recheck_s`, in total) before it rejects it, which covers the moment between an import's commit
and the listener's reload.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg

from ingest.rate_limit import RateLimiter
from ingest.registry_view import DeviceInfo, RegistrySnapshot
from storage.registry import RegistryRepository

log = logging.getLogger(__name__)

CHANNEL = "hw_registry"
RECHECK_BURST = 5


def load(repository: RegistryRepository) -> RegistrySnapshot:
    version = repository.version()
    return RegistrySnapshot.of(repository.load(), version)


class RegistryCache:
    """The snapshot the gateway validates against; `current()` is what a message reads."""

    def __init__(
        self,
        repository: RegistryRepository,
        install: Callable[[RegistrySnapshot], None] = lambda _s: None,
        recheck_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._repository = repository
        self._install = install
        # A bucket, not one a second: a technician switching on several detectors just
        # imported must not lose all but the first one's opening reading.
        self._rechecks = RateLimiter(1.0 / recheck_s, RECHECK_BURST, clock)
        self._lock = threading.Lock()  # one reload at a time; a reader waits for it
        self._announced = 0  # the newest version a notification named
        self.snapshot = load(repository)
        install(self.snapshot)

    def current(self) -> RegistrySnapshot:
        """The snapshot, after waiting for a reload a notification has announced: a device
        removed a moment ago is refused by the next message, not the next poll."""
        snapshot = self.snapshot
        if self._announced > snapshot.version:
            self.refresh()
            snapshot = self.snapshot
        return snapshot

    def recheck(self, device_id: str) -> DeviceInfo | None:
        """A reading named `device_id`, which the snapshot lacks: look at the registry once
        more before it is rejected. Rate-limited in total, so a flood of unregistered devices
        costs one version query a second, not one per message."""
        if self._rechecks.allow(""):
            self.refresh()
        elif self._lock.locked():
            with self._lock:  # a reload is under way: its result decides
                pass
        return self.snapshot.devices.get(device_id)

    def announce(self, version: int) -> None:
        self._announced = max(self._announced, version)

    def refresh(self) -> None:
        """Reload if the version moved. A database hiccup keeps the old snapshot in use."""
        with self._lock:
            try:
                if self._repository.version() != self.snapshot.version:
                    self.snapshot = load(self._repository)
                    self._install(self.snapshot)
                    log.info(
                        "registry reloaded: version %d, %d devices",
                        self.snapshot.version,
                        len(self.snapshot.devices),
                    )
            except Exception:
                log.exception("registry refresh failed; keeping the current snapshot")
                # Do not make every message retry a failing database: the poll will.
                self._announced = self.snapshot.version

    def keep_fresh(self, database_url: str, period_s: float, stop: threading.Event) -> None:
        """Starts the listener thread (with the poll as its timeout)."""
        threading.Thread(
            target=self._listen,
            args=(database_url, period_s, stop),
            name="registry-listen",
            daemon=True,
        ).start()

    def _listen(self, database_url: str, period_s: float, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                with psycopg.connect(database_url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.refresh()  # whatever changed while nobody listened
                    while not stop.is_set():
                        for note in conn.notifies(timeout=period_s):
                            self.announce(_version(note.payload))
                            self.refresh()
                        self.refresh()  # the poll: a notification can be lost with a connection
            except psycopg.Error as exc:
                log.warning("registry listener lost its connection (%s); polling meanwhile", exc)
                if not stop.wait(period_s):
                    self.refresh()


def _version(payload: str) -> int:
    try:
        return int(payload)
    except ValueError:
        return 0
