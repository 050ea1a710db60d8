"""The stream worker's Prometheus metrics (names fixed in docs/internals.md).

The registry is injected: the worker passes its own, tests pass a fresh one and read
`registry.get_sample_value(...)`. Labels stay bounded: never a device id.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from schemas.events import AlarmEvent, AlarmRaised, ConditionCleared

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class StreamsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.readings_processed = Counter(
            "hazardwatch_streams_readings_processed_total",
            "Readings run through detection.", ["family"], registry=registry,
        )
        self.commands_processed = Counter(
            "hazardwatch_streams_commands_processed_total",
            "Alarm commands applied (accepted or rejected).", registry=registry,
        )
        self.readings_dropped = Counter(
            "hazardwatch_streams_readings_dropped_total",
            "Readings dropped before detection (seq already seen).", ["reason"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "hazardwatch_streams_dead_letters_total",
            "Messages an agent could not process, sent to the rejected topic.", ["agent"],
            registry=registry,
        )
        self.alarms_raised = Counter(
            "hazardwatch_streams_alarms_raised_total",
            "AlarmRaised events emitted.", ["family", "severity"], registry=registry,
        )
        self.alarms_cleared = Counter(
            "hazardwatch_streams_alarms_cleared_total",
            "ConditionCleared events emitted.", ["family"], registry=registry,
        )
        self.open_alarms = Gauge(
            "hazardwatch_streams_open_alarms",
            "Alarms not closed, on this worker's partitions.", ["family", "severity"],
            registry=registry,
        )
        self.devices = Gauge(
            "hazardwatch_streams_devices",
            "Devices on this worker's partitions by presence.", ["family", "status"],
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "hazardwatch_streams_consumer_lag_messages",
            "Messages behind the end of each input topic.", ["topic"], registry=registry,
        )
        self.partition_stalls = Counter(
            "hazardwatch_streams_partition_stalls_total",
            "Input partitions found stuck with messages waiting, and sought back.", ["topic"],
            registry=registry,
        )
        self.detection_latency = Histogram(
            "hazardwatch_streams_detection_latency_seconds",
            "From a reading's received_at to its event being emitted.", ["family"],
            buckets=_LATENCY_BUCKETS, registry=registry,
        )

        self.loop_stops = Counter(
            "hazardwatch_streams_loop_stops_total",
            "Times a timer or agent of the worker was found not running (streams.liveness).",
            ["loop"], registry=registry,
        )
        self.loop_stopped = Gauge(
            "hazardwatch_streams_loop_stopped",
            "1 while a timer or agent of the worker is not running: /readyz fails.", ["loop"],
            registry=registry,
        )

    def record_events(self, events: list[AlarmEvent]) -> None:
        for event in events:
            if isinstance(event, AlarmRaised):
                self.alarms_raised.labels(event.family.value, event.severity.value).inc()
            elif isinstance(event, ConditionCleared):
                self.alarms_cleared.labels(event.family.value).inc()
