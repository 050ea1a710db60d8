"""`python -m bench.streams.bare`: a faust app whose one agent only decodes readings.

The framework's own ceiling on this machine: the same topic, the same batching
(`take_events`, HW_STREAMS_BATCH_MAX / _WITHIN_S) and the same reading model as the worker,
and nothing else (no rules, no state, no output). The bench divides the worker's rate by
this one's to say how much of a reading's cost is ours. GET /count gives the decoded total.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import faust
from faust import Worker

from streams.codec import decode_reading
from streams.settings import StreamsSettings
from streams.topology import Topology


def create_app(settings: StreamsSettings, port: int) -> faust.App:
    topology = Topology.of(settings)
    datadir = Path(settings.streams_data_dir) / f"{topology.app_id}-bare"
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        f"{topology.app_id}-bare",
        broker=[f"kafka://{host}" for host in settings.kafka_bootstrap.split(",")],
        datadir=str(datadir), topic_partitions=topology.partitions,
        key_serializer="raw", value_serializer="raw", consumer_auto_offset_reset="earliest",
        web_bind="127.0.0.1", web_host="127.0.0.1", web_port=port, web_enabled=True,
    )
    readings = app.topic(topology.readings, partitions=topology.partitions)
    decoded = 0
    batch_max, within = settings.streams_batch_max, settings.streams_batch_within_s

    @app.agent(readings, concurrency=1)
    async def decode(stream: Any) -> None:
        nonlocal decoded
        async for events in stream.take_events(batch_max, within):
            for event in events:
                decode_reading(topology.readings, event.value)
            decoded += len(events)

    @app.page("/count")
    async def count(web: Any, request: Any) -> Any:
        return web.json({"decoded": decoded})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        ready = not app.rebalancing and bool(app.consumer.assignment())
        return web.json({"ready": ready}, status=200 if ready else 503)

    return app


def main() -> int:
    settings = StreamsSettings()
    app = create_app(settings, int(os.environ["HW_STREAMS_HTTP_PORT"]))
    Worker(app, loglevel="warning", quiet=True).execute_from_commandline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
