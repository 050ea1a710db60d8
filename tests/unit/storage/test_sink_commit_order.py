"""The sink commits Kafka offsets only after the database transaction committed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from prometheus_client import CollectorRegistry

from streams.sinks import runner
from streams.sinks.batch import Outcome
from streams.sinks.metrics import SinkMetrics


@dataclass(frozen=True)
class Rec:
    topic: str
    value: bytes
    partition: int = 0
    offset: int = 0


class Consumer:
    def __init__(self, log: list[str], records: list[Rec]) -> None:
        self.log, self.records = log, records

    def poll(self, timeout_ms: int, max_records: int) -> dict[str, list[Rec]]:
        return {"tp": self.records}

    def commit(self) -> None:
        self.log.append("kafka-commit")

    def assignment(self) -> set[Any]:
        return set()


class Datastore:
    def __init__(self, log: list[str], fail: bool) -> None:
        self.log, self.fail = log, fail

    def run(self, work: Any) -> Any:
        if self.fail:
            raise RuntimeError("database down")
        result = work(object())
        self.log.append("db-commit")
        return result


def _sink(log: list[str], *, fail: bool, topic: str) -> runner.Sink:
    records = [Rec(topic, b"{}"), Rec(topic, b"{}")]
    return runner.Sink(
        Consumer(log, records),
        Datastore(log, fail),  # type: ignore[arg-type]
        SinkMetrics(CollectorRegistry()),
        readings_topic=topic,
        events_topic=f"{topic}.events",
        mode="postgresql",
        max_batch=10,
        poll_timeout_ms=1,
        uptime_interval_s=3600,
        clock=lambda: 0.0,
    )


def test_offsets_are_committed_after_the_database_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []
    topic = f"t{uuid4().hex[:8]}.hw.readings.v1"
    outcome = Outcome(written={"readings": 2})
    monkeypatch.setattr(runner, "store_batch", lambda *a, **k: outcome)
    monkeypatch.setattr("streams.sinks.uptime.scan", lambda *a: True)
    sink = _sink(log, fail=False, topic=topic)
    sink._next_scan = 1.0  # no scan in this step
    sink.step()
    assert log == ["db-commit", "kafka-commit"]
    assert (
        sink.metrics.registry.get_sample_value(
            "hazardwatch_sink_rows_written_total", {"table": "readings"}
        )
        == 2
    )


def test_a_failed_database_write_commits_no_offsets(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []
    monkeypatch.setattr(runner, "store_batch", lambda *a, **k: Outcome())
    sink = _sink(log, fail=True, topic=f"t{uuid4().hex[:8]}.hw.readings.v1")
    sink._next_scan = 1.0
    with pytest.raises(RuntimeError):
        sink.step()
    assert log == []
