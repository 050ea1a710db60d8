"""`python -m streams.sinks`: the composition root of the sink process."""

from __future__ import annotations

import logging
import signal

from kafka import KafkaConsumer
from prometheus_client import CollectorRegistry

from storage.datastore import Datastore
from storage.mode import mode
from streams.sinks.http import serve
from streams.sinks.membership import group_options
from streams.sinks.metrics import SinkMetrics
from streams.sinks.rejections import RejectionSink, consumer_for
from streams.sinks.runner import Sink
from streams.sinks.settings import SinkSettings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = SinkSettings()
    datastore = Datastore(settings.database_url.get_secret_value(), max_size=4)
    active = mode(datastore)
    metrics = SinkMetrics(CollectorRegistry())
    metrics.set_mode(active)
    consumer = KafkaConsumer(
        **settings.kafka.client_options(),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=settings.sink_max_batch,
        **group_options(settings),
    )
    sink = Sink(
        consumer,
        datastore,
        metrics,
        readings_topic=settings.topics.readings,
        events_topic=settings.topics.alarm_events,
        mode=active,
        max_batch=settings.sink_max_batch,
        poll_timeout_ms=settings.sink_poll_timeout_ms,
        uptime_interval_s=settings.sink_uptime_interval_s,
        crash_after_db_commit=settings.sink_crash_after_db_commit,
    )
    group = settings.topic_prefix + settings.sink_group_id
    rejected = RejectionSink(
        consumer_for(settings.kafka, group, 1000),
        datastore,
        metrics,
        topic=settings.topics.rejected,
    )
    rejected_thread = rejected.start()
    server = serve(settings.sink_http_port, metrics.registry, lambda: sink.ready)

    def stop(*_: object) -> None:
        sink.stopping = True
        rejected.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        sink.run()
    finally:
        rejected_thread.join(timeout=5)
        consumer.close()
        server.shutdown()
        datastore.close()


if __name__ == "__main__":
    main()
