"""The supervisor's metrics on its own /metrics port (labels: the process name, a handful)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class SupervisorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.restarts = Counter(
            "hazardwatch_supervisor_restarts_total",
            "Processes restarted after they exited",
            ["process"],
            registry=registry,
        )
        self.crash_loops = Counter(
            "hazardwatch_supervisor_crash_loops_total",
            "Times a process exited too often and was given up on",
            ["process"],
            registry=registry,
        )
        self.up = Gauge(
            "hazardwatch_supervisor_process_up",
            "1 while the process runs, 0 while it waits for a restart or was given up on",
            ["process"],
            registry=registry,
        )
