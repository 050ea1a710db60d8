"""The alerts service's Prometheus metrics (docs/internals.md "Metric names")."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class AlertsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "hazardwatch_api_requests_total",
            "HTTP requests",
            ["route", "method", "status"],
            registry=registry,
        )
        self.request_duration = Histogram(
            "hazardwatch_api_request_duration_seconds",
            "HTTP request duration",
            ["route"],
            registry=registry,
        )
        self.sse_clients = Gauge(
            "hazardwatch_alerts_sse_clients", "Connected live-feed clients", registry=registry
        )
        self.delivered = Counter(
            "hazardwatch_alerts_events_delivered_total",
            "Alarm events written to live feeds",
            registry=registry,
        )
        self.dropped_clients = Counter(
            "hazardwatch_alerts_sse_dropped_clients_total",
            "Live-feed clients dropped because they fell too far behind",
            registry=registry,
        )
        self.delivery_latency = Histogram(
            "hazardwatch_alerts_delivery_latency_seconds",
            "Event occurred_at to written on a live feed",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self.notifications = Counter(
            "hazardwatch_alerts_notifications_total",
            "Outbound notifications: sent, retried, failed (dead-lettered), held (flapping)",
            ["channel", "outcome"],
            registry=registry,
        )
