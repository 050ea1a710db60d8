"""A stand-in for the hazardwatch processes' /metrics while they are being built: serves every
metric family of docs/internals.md "Metric names", one HTTP port per process, with values that
move like a small live city (counters grow, histograms get observations, gauges wander).

Run: python -m tests.integration.observability.exporter --ingest PORT [--streams PORT] ...
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

FAMILIES = ("gas", "shutoff", "elevator", "fire")
SEVERITIES = ("red", "orange", "yellow", "blue")
# (township, enterprise, devices per family); the last enterprise is below 95 % uptime.
# Each process registers a tick that moves its values; main() runs them all.
TICKS: list[Callable[[], None]] = []
ENTERPRISES = (
    ("330106001", "E330106001001", 40),
    ("330106001", "E330106001002", 25),
    ("330106002", "E330106002001", 30),
    ("330106003", "E330106003001", 12),
)


def ingest(registry: CollectorRegistry) -> None:
    received = Counter("hazardwatch_ingest_messages_received", "", ["channel"], registry=registry)
    forwarded = Counter(
        "hazardwatch_ingest_messages_forwarded", "", ["family", "channel"], registry=registry
    )
    rejected = Counter("hazardwatch_ingest_messages_rejected", "", ["reason"], registry=registry)
    latency = Histogram("hazardwatch_ingest_produce_latency_seconds", "", registry=registry)
    Gauge("hazardwatch_ingest_inflight_messages", "", registry=registry).set(3)
    Gauge("hazardwatch_ingest_registry_devices", "", registry=registry).set(428)

    def tick() -> None:
        for family in FAMILIES:
            for channel in ("telemetry", "heartbeat"):
                n = random.randint(5, 20)
                received.labels(channel).inc(n)
                forwarded.labels(family, channel).inc(n)
        rejected.labels(random.choice(("schema", "unknown_device", "bad_json"))).inc()
        latency.observe(random.uniform(0.002, 0.05))

    TICKS.append(tick)


def streams(registry: CollectorRegistry) -> None:
    processed = Counter("hazardwatch_streams_readings_processed", "", ["family"], registry=registry)
    dropped = Counter("hazardwatch_streams_readings_dropped", "", ["reason"], registry=registry)
    dead = Counter("hazardwatch_streams_dead_letters", "", ["agent"], registry=registry)
    raised = Counter(
        "hazardwatch_streams_alarms_raised", "", ["family", "severity"], registry=registry
    )
    cleared = Counter("hazardwatch_streams_alarms_cleared", "", ["family"], registry=registry)
    open_alarms = Gauge(
        "hazardwatch_streams_open_alarms", "", ["family", "severity"], registry=registry
    )
    lag = Gauge("hazardwatch_streams_consumer_lag_messages", "", ["topic"], registry=registry)
    latency = Histogram(
        "hazardwatch_streams_detection_latency_seconds", "", ["family"], registry=registry
    )

    def tick() -> None:
        for family in FAMILIES:
            processed.labels(family).inc(random.randint(10, 40))
            latency.labels(family).observe(random.uniform(0.005, 0.2))
            cleared.labels(family).inc(random.randint(0, 1))
            for severity in SEVERITIES:
                raised.labels(family, severity).inc(random.randint(0, 1))
                open_alarms.labels(family, severity).set(random.randint(0, 6))
        dropped.labels(random.choice(("duplicate", "out_of_order"))).inc()
        dead.labels("detection").inc(random.randint(0, 1))
        for topic in ("hw.readings.v1", "hw.alarm-commands.v1"):
            lag.labels(topic).set(random.randint(0, 200))

    TICKS.append(tick)


def sinks(registry: CollectorRegistry) -> None:
    rows = Counter("hazardwatch_sink_rows_written", "", ["table"], registry=registry)
    batch = Histogram(
        "hazardwatch_sink_batch_rows",
        "",
        ["table"],
        registry=registry,
        buckets=(1, 10, 50, 100, 500, 1000),
    )
    commit = Histogram("hazardwatch_sink_commit_latency_seconds", "", ["table"], registry=registry)
    lag = Gauge("hazardwatch_sink_lag_messages", "", ["topic"], registry=registry)
    dead = Counter("hazardwatch_sink_dead_letters", "", ["table"], registry=registry)
    Gauge("hazardwatch_storage_mode", "", ["mode"], registry=registry).labels("postgresql").set(1)
    online = Gauge(
        "hazardwatch_devices_online", "", ["township", "family", "enterprise"], registry=registry
    )
    total = Gauge(
        "hazardwatch_devices_total", "", ["township", "family", "enterprise"], registry=registry
    )
    episodes = Counter(
        "hazardwatch_device_offline_episodes", "", ["township", "family"], registry=registry
    )
    age = Histogram(
        "hazardwatch_device_last_seen_age_seconds",
        "",
        ["family"],
        registry=registry,
        buckets=(5, 10, 30, 60, 300, 900, 3600),
    )

    def tick() -> None:
        for table in ("readings", "alarm_events"):
            n = random.randint(20, 120)
            rows.labels(table).inc(n)
            batch.labels(table).observe(n)
            commit.labels(table).observe(random.uniform(0.002, 0.08))
            dead.labels(table).inc(random.randint(0, 1))
        for topic in ("hw.readings.v1", "hw.alarm-events.v1"):
            lag.labels(topic).set(random.randint(0, 500))
        for i, (township, enterprise, devices) in enumerate(ENTERPRISES):
            floor = 0.8 if i == len(ENTERPRISES) - 1 else 0.97
            for family in FAMILIES:
                total.labels(township, family, enterprise).set(devices)
                up = round(devices * random.uniform(floor, 1.0))
                online.labels(township, family, enterprise).set(up)
                episodes.labels(township, family).inc(random.randint(0, 1))
                age.labels(family).observe(random.uniform(1, 40))

    TICKS.append(tick)


def alerts(registry: CollectorRegistry) -> None:
    requests = Counter(
        "hazardwatch_api_requests", "", ["route", "method", "status"], registry=registry
    )
    duration = Histogram(
        "hazardwatch_api_request_duration_seconds", "", ["route"], registry=registry
    )
    clients = Gauge("hazardwatch_alerts_sse_clients", "", registry=registry)
    delivered = Counter("hazardwatch_alerts_events_delivered", "", registry=registry)
    Counter("hazardwatch_alerts_sse_dropped_clients", "", registry=registry)
    delivery = Histogram("hazardwatch_alerts_delivery_latency_seconds", "", registry=registry)
    notifications = Counter("hazardwatch_alerts_notifications", "", ["outcome"], registry=registry)

    def tick() -> None:
        for route in ("/api/v1/alarms", "/api/v1/alarms/{alarm_id}", "/api/v1/devices"):
            requests.labels(route, "GET", "200").inc(random.randint(1, 5))
            duration.labels(route).observe(random.uniform(0.005, 0.3))
        requests.labels("/api/v1/alarms/{alarm_id}/{command}", "POST", "202").inc()
        clients.set(random.randint(1, 9))
        delivered.inc(random.randint(1, 10))
        delivery.observe(random.uniform(0.01, 0.5))
        notifications.labels(random.choice(("sent", "sent", "retried", "failed"))).inc()

    TICKS.append(tick)


PROCESSES = {"ingest": ingest, "sinks": sinks, "streams": streams, "alerts": alerts}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in PROCESSES:
        parser.add_argument(f"--{name}", type=int, metavar="PORT", help=f"serve {name} metrics")
    ports = vars(parser.parse_args(argv))
    for name, build in PROCESSES.items():
        if ports[name] is not None:
            registry = CollectorRegistry()
            build(registry)
            start_http_server(ports[name], addr="127.0.0.1", registry=registry)
    while True:
        for tick in TICKS:
            tick()
        time.sleep(0.2)


if __name__ == "__main__":
    main(sys.argv[1:])
