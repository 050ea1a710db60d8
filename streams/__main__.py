"""`python -m streams worker [--instance N]`: the stream worker's entry point.

Reads the settings once, builds the composition (directory, metrics, app) and runs faust.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from faust import Worker
from prometheus_client import CollectorRegistry

from schemas.deadlines import Deadlines
from streams.app import create_app
from streams.directory import (
    StaticDirectory,
    file_loader,
    file_version,
    listen_for_changes,
    registry_loader,
    registry_version,
)
from streams.metrics import StreamsMetrics
from streams.settings import StreamsSettings
from streams.topology import Topology, ensure_topics

log = logging.getLogger("streams")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="run a stream worker (detection + alarm lifecycle)")
    worker.add_argument("--instance", type=int, default=1, help="worker number N (port 18200+N)")
    worker.add_argument("--loglevel", default="info")
    args = parser.parse_args(argv)
    return run_worker(StreamsSettings(), args.instance, args.loglevel)


def run_worker(settings: StreamsSettings, instance: int, loglevel: str) -> int:
    logging.basicConfig(level=loglevel.upper(), format="%(asctime)s %(levelname)s %(message)s")
    topology = Topology.of(settings)
    ensure_topics(settings.kafka, topology)
    directory = StaticDirectory(
        site_hold_s=settings.streams_site_hold_s, site_hold_max_s=settings.streams_site_hold_max_s
    )
    refresh = _refresher(directory, settings)
    if refresh is not None:
        refresh()
        if settings.streams_registry == "database":
            listen_for_changes(settings.database_url.get_secret_value(), refresh)
    metrics = StreamsMetrics(CollectorRegistry())
    app = create_app(settings, instance, directory, metrics, refresh, Deadlines.from_env())
    Worker(app, loglevel=loglevel, quiet=True).execute_from_commandline()
    return 0


def _refresher(directory: StaticDirectory, settings: StreamsSettings) -> Callable[[], None] | None:
    if settings.streams_registry == "file" and settings.streams_registry_file:
        path = settings.streams_registry_file
        load, version = file_loader(path), file_version(path)
    elif settings.streams_registry == "database":
        url = settings.database_url.get_secret_value()
        load, version = registry_loader(url), registry_version(url)
    else:
        return None
    loaded: object = None  # the version the directory holds; None before the first load

    def refresh() -> None:
        # Reloaded only when it changed: reading 100,000 devices every period held the GIL
        # for a fifth of the worker's time.
        nonlocal loaded
        try:
            current = version()
            if loaded is not None and loaded == current:
                return
            directory.replace(load())
            loaded = current
        except Exception:
            log.warning("registry not loaded; using family defaults", exc_info=True)

    return refresh


if __name__ == "__main__":
    sys.exit(main())
