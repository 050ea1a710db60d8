"""A refused commit of a stored batch is logged and counted, never the end of the sink."""

from __future__ import annotations

from typing import Any

from kafka.errors import KafkaConnectionError
from prometheus_client import CollectorRegistry, Counter

from streams.sinks.offsets import commit_stored


class _Consumer:
    def __init__(self, error: Exception | None) -> None:
        self.error, self.commits = error, 0

    def commit(self) -> None:
        self.commits += 1
        if self.error is not None:
            raise self.error


def test_a_commit_kafka_refuses_is_counted_and_the_next_one_goes_through() -> None:
    failures = Counter("failures", "refused commits", registry=CollectorRegistry())
    refused: Any = _Consumer(KafkaConnectionError("111 ECONNREFUSED"))
    assert commit_stored(refused, failures) is False
    accepted: Any = _Consumer(None)
    assert commit_stored(accepted, failures) is True
    assert (refused.commits, accepted.commits, failures._value.get()) == (1, 1, 1.0)
