"""The sink's Prometheus metrics (names fixed in docs/internals.md); registry injected."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from storage.mode import MODES, Mode

_COMMIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_BATCH_BUCKETS = (1, 10, 50, 100, 500, 1000, 2500, 5000, 10000)
_AGE_BUCKETS = (10, 30, 60, 120, 300, 900, 3600, 6 * 3600, 86400)


class SinkMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.rows_written = Counter(
            "hazardwatch_sink_rows_written_total",
            "Rows newly stored (duplicates excluded).", ["table"], registry=registry,
        )  # fmt: skip
        self.batch_rows = Histogram(
            "hazardwatch_sink_batch_rows",
            "Messages per stored batch.", ["table"], buckets=_BATCH_BUCKETS, registry=registry,
        )  # fmt: skip
        self.commit_latency = Histogram(
            "hazardwatch_sink_commit_latency_seconds",
            "Time to store and commit one batch.", ["table"], buckets=_COMMIT_BUCKETS,
            registry=registry,
        )  # fmt: skip
        self.lag = Gauge(
            "hazardwatch_sink_lag_messages",
            "Messages behind the end of the topic.", ["topic"], registry=registry,
        )  # fmt: skip
        self.commit_failures = Counter(
            "hazardwatch_sink_commit_failures_total",
            "Batches stored whose offsets Kafka refused to commit (delivered again).",
            registry=registry,
        )
        self.dead_letters = Counter(
            "hazardwatch_sink_dead_letters_total",
            "Rows sent to the dead_letters table.", ["table"], registry=registry,
        )  # fmt: skip
        self.storage_mode = Gauge(
            "hazardwatch_storage_mode",
            "1 for the active storage mode.", ["mode"], registry=registry,
        )  # fmt: skip
        self.devices_online = Gauge(
            "hazardwatch_devices_online",
            "Registered devices currently online.", ["township", "family", "enterprise"],
            registry=registry,
        )  # fmt: skip
        self.devices_total = Gauge(
            "hazardwatch_devices_total",
            "Registered devices.", ["township", "family", "enterprise"], registry=registry,
        )  # fmt: skip
        self.offline_episodes = Counter(
            "hazardwatch_device_offline_episodes_total",
            "Devices going offline.", ["township", "family"], registry=registry,
        )  # fmt: skip
        self.last_seen_age = Histogram(
            "hazardwatch_device_last_seen_age_seconds",
            "Age of each device's newest reading at the uptime scan.", ["family"],
            buckets=_AGE_BUCKETS, registry=registry,
        )  # fmt: skip

    def set_mode(self, active: Mode) -> None:
        for m in MODES:
            self.storage_mode.labels(mode=m).set(1 if m == active else 0)
