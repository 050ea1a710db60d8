"""`python -m ingest [--instance N]`: one gateway process. The composition root of ingest/."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from prometheus_client import CollectorRegistry

from ingest.gateway import Gateway
from ingest.http import serve
from ingest.metrics import IngestMetrics
from ingest.registry_refresh import RegistryCache
from ingest.registry_view import RegistrySnapshot
from ingest.settings import IngestSettings
from storage.datastore import Datastore
from storage.registry import RegistryRepository


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    parser.add_argument("--instance", type=int, default=1, help="gateway number (client id, port)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    settings = IngestSettings()

    metrics = IngestMetrics(CollectorRegistry())
    datastore = Datastore(settings.database_url.get_secret_value(), max_size=2)
    repository = RegistryRepository(datastore)

    def install(new: RegistrySnapshot) -> None:
        metrics.registry_devices.set(len(new.devices))

    registry = RegistryCache(repository, install)
    gateway = Gateway(settings, args.instance, metrics, registry)
    stop = threading.Event()
    registry.keep_fresh(
        settings.database_url.get_secret_value(), settings.ingest_registry_refresh_s, stop
    )
    server = serve(settings.http_port(args.instance), metrics.registry, gateway.ready)

    def terminate(_signum: int, _frame: object) -> None:
        stop.set()
        gateway.shutdown()

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    try:
        gateway.run(stop)
    finally:
        gateway.sink.close()
        server.shutdown()
        datastore.close()


if __name__ == "__main__":
    main()
