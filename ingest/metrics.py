"""The gateway's Prometheus metrics (docs/internals.md "Metric names")."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.received = Counter(
            "hazardwatch_ingest_messages_received_total",
            "MQTT messages received (a batch counts once)",
            ["channel"],
            registry=registry,
        )
        self.forwarded = Counter(
            "hazardwatch_ingest_messages_forwarded_total",
            "Readings acknowledged by Kafka on the readings topic",
            ["family", "channel"],
            registry=registry,
        )
        self.rejected = Counter(
            "hazardwatch_ingest_messages_rejected_total",
            "Messages or batch items sent to the rejected topic",
            ["reason"],
            registry=registry,
        )
        self.produce_latency = Histogram(
            "hazardwatch_ingest_produce_latency_seconds",
            "MQTT receipt to Kafka acknowledgement",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        self.inflight = Gauge(
            "hazardwatch_ingest_inflight_messages",
            "MQTT messages received but not yet acknowledged to the broker",
            registry=registry,
        )
        self.registry_devices = Gauge(
            "hazardwatch_ingest_registry_devices",
            "Devices in the gateway's registry cache",
            registry=registry,
        )
