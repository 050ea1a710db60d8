"""A restarted worker whose faust commit is past its stored position (faust acks and commits
messages it never handed to the agent) must go back for the messages in between while the
partition's readings keep coming: issue 21's worker that never caught up after a kill -9."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from schemas.events import AlarmRaised
from schemas.settings import Endpoints
from streams.processor import key_partition
from tests.integration.streams.fixtures import StartWorker, start_worker, wire  # noqa: F401
from tests.integration.streams.harness import Wire, rid, unique_events, write_registry

pytestmark = pytest.mark.integration


def same_partition(key: str, partitions: int, count: int) -> list[str]:
    wanted = key_partition(key.encode(), partitions)
    found: list[str] = []
    while len(found) < count:
        candidate = rid("gd-")
        if key_partition(candidate.encode(), partitions) == wanted:
            found.append(candidate)
    return found


def commit(endpoints: Endpoints, group: str, tp: TopicPartition, offset: int) -> None:
    """Commits for the (empty) group as faust would have, past messages no agent saw."""
    consumer = KafkaConsumer(bootstrap_servers=endpoints.kafka_bootstrap, group_id=group,
                             enable_auto_commit=False)
    try:
        consumer.assign([tp])
        consumer.commit({tp: OffsetAndMetadata(offset, "")})
    finally:
        consumer.close()


def test_a_hole_after_a_restart_is_mended_while_readings_keep_coming(
    start_worker: StartWorker,  # noqa: F811
    wire: Wire,  # noqa: F811
    endpoints: Endpoints,
    tmp_path: Path,
) -> None:
    enterprise, leak = rid("E"), rid("gd-")
    partitions = len(wire.producer.partitions_for(endpoints.topics.readings))
    first, *steady = same_partition(leak, partitions, 6)
    registry = write_registry(tmp_path / "registry.yaml", [
        {"id": d, "enterprise": enterprise, "family": "gas", "offline_after_s": 3600}
        for d in (leak, first, *steady)
    ])
    app_id = rid("holes-")
    # Only the hole path may mend it (the stall guard would after its period); dynamic
    # membership so that the stopped worker's group is empty and takes our commit.
    app_env = {"HW_STREAMS_APP_ID": app_id, "HW_STREAMS_STORE": "rocksdb://",
               "HW_STREAMS_DATA_DIR": str(tmp_path / "streams"),
               "HW_STREAMS_STALL_AFTER_S": "600", "HW_STREAMS_STATIC_MEMBERSHIP": "false"}
    tp = TopicPartition(endpoints.topics.readings, key_partition(leak.encode(), partitions))

    worker = start_worker(registry_file=registry, app_env=app_env)
    wire.reading(first, enterprise, {"concentration": 30.0})
    wire.wait_for(lambda events: any(e.device_id == first for e in events))
    worker.stop()

    wire.reading(leak, enterprise, {"concentration": 30.0})  # the message no agent saw
    for device in steady:
        wire.reading(device, enterprise, {"concentration": 1.0})
    probe = KafkaConsumer(bootstrap_servers=endpoints.kafka_bootstrap, group_id=None)
    try:
        past = probe.end_offsets([tp])[tp]
    finally:
        probe.close()
    commit(endpoints, endpoints.topics.prefix + app_id, tp, past)

    # A steady stream on the leak's partition, a reading every 50 ms: the hole never sees
    # a pause in what arrives after it.
    stop = threading.Event()

    def keep_reporting() -> None:
        n = 0
        while not stop.wait(0.05):
            wire.reading(steady[n % len(steady)], enterprise, {"concentration": 1.0})
            n += 1

    stream = threading.Thread(target=keep_reporting, daemon=True)
    stream.start()
    try:
        start_worker(registry_file=registry, app_env=app_env)
        wire.wait_for(lambda events: any(e.device_id == leak for e in events), timeout=60)
    finally:
        stop.set()
        stream.join(timeout=5)
    raised = [e for e in unique_events(wire.settle(quiet_s=2)) if isinstance(e, AlarmRaised)]
    assert sorted(e.device_id for e in raised) == sorted([first, leak])
