"""Keeps the gateway's registry snapshot current without a restart: polls the version row and
reloads only when it moved."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ingest.registry_view import RegistrySnapshot
from storage.registry import RegistryRepository

log = logging.getLogger(__name__)


def load(repository: RegistryRepository) -> RegistrySnapshot:
    version = repository.version()
    return RegistrySnapshot.of(repository.load(), version)


def keep_fresh(
    repository: RegistryRepository,
    current: Callable[[], RegistrySnapshot],
    install: Callable[[RegistrySnapshot], None],
    period_s: float,
    stop: threading.Event,
) -> threading.Thread:
    def loop() -> None:
        while not stop.wait(period_s):
            try:
                if repository.version() != current().version:
                    snapshot = load(repository)
                    install(snapshot)
                    log.info(
                        "registry reloaded: version %d, %d devices",
                        snapshot.version,
                        len(snapshot.devices),
                    )
            except Exception:
                # A database hiccup must not stop ingestion: the old snapshot stays in use.
                log.exception("registry refresh failed; keeping the current snapshot")

    thread = threading.Thread(target=loop, name="registry-refresh", daemon=True)
    thread.start()
    return thread
