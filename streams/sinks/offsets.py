"""Committing the offsets of a batch that is already stored.

A commit Kafka refuses (its group coordinator moving to another node after a broker died, a
rebalance under way) only means the batch may be delivered again, which the unique keys of
what it stored absorb; the next batch's commit covers its offsets. So the refusal is logged and
counted, and the loop goes on: a sink that exited on it stored nothing more until a person (or
the supervisor) restarted it."""

from __future__ import annotations

import logging

from kafka import KafkaConsumer
from kafka.errors import KafkaError
from prometheus_client import Counter

log = logging.getLogger(__name__)


def commit_stored(consumer: KafkaConsumer, failures: Counter) -> bool:
    """Commits the consumer's positions; False (logged, counted) when Kafka refused."""
    try:
        consumer.commit()
    except KafkaError as exc:
        failures.inc()
        log.warning("offsets not committed (%s): the stored batch may be delivered again", exc)
        return False
    return True
