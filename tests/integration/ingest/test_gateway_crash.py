"""Crashes and outages: nothing published with QoS 1 is lost."""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.integration.ingest.conftest import Gateways, Site, TopicReader

BURST = 10_000


def _flood(client, topic_of, count: int, sent: threading.Event) -> None:
    infos = []
    for seq in range(count):
        _device, topic = topic_of(seq)
        body = {"ts": int(time.time() * 1000), "seq": seq}
        infos.append(client.publish(topic, json.dumps(body), qos=1))
    for info in infos:
        info.wait_for_publish(60)
    sent.set()


def _distinct_seqs(records) -> set[int]:
    return {v["seq"] for _topic, _key, v in records}


@pytest.mark.slow
def test_kill_9_of_the_gateway_during_a_burst_loses_nothing(
    site: Site, gateways: Gateways, reader: TopicReader, endpoints
) -> None:
    gateways.env |= {"HW_INGEST_RATE_PER_DEVICE": "1000000", "HW_INGEST_BURST_PER_DEVICE": "1e6"}
    first = gateways.start(instance=1)
    client = site.client(endpoints)
    devices = list(site.devices)

    def topic_of(seq: int) -> tuple[str, str]:
        device = devices[seq % len(devices)]
        return device, f"hw/v1/{site.enterprise_id}/{device}/heartbeat"

    sent = threading.Event()
    threading.Thread(target=_flood, args=(client, topic_of, BURST, sent), daemon=True).start()
    seen = reader.take(1500, timeout=60)  # the gateway is mid-burst
    first.kill()  # kill -9: unacknowledged messages stay with the broker
    assert sent.wait(120), "the broker did not take the whole burst"
    gateways.start(instance=1)  # same client id: the persistent session resumes
    deadline = time.monotonic() + 120
    seqs = _distinct_seqs(seen)
    while len(seqs) < BURST and time.monotonic() < deadline:
        seqs |= _distinct_seqs(reader.take(1, timeout=max(0.1, deadline - time.monotonic())))
    assert seqs == set(range(BURST))
    client.loop_stop()


def test_two_gateways_share_the_subscription_and_each_message_arrives_once(
    site: Site, gateways: Gateways, reader: TopicReader, endpoints
) -> None:
    one, two = gateways.start(instance=1), gateways.start(instance=2)
    client = site.client(endpoints)
    devices = list(site.devices)
    for seq in range(200):
        device = devices[seq % len(devices)]
        client.publish(
            f"hw/v1/{site.enterprise_id}/{device}/heartbeat",
            json.dumps({"ts": int(time.time() * 1000), "seq": seq}),
            qos=1,
        )
    records = reader.take(200)
    assert reader.quiet() == []
    assert sorted(v["seq"] for _t, _k, v in records) == list(range(200))
    forwarded = [_forwarded(proc.port) for proc in (one, two)]
    assert sum(forwarded) == 200 and all(n > 0 for n in forwarded)
    client.loop_stop()


def _forwarded(port: int) -> float:
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "hazardwatch_ingest_messages_forwarded"
        for sample in family.samples
        if sample.name.endswith("_total")
    )


@pytest.fixture
def own_kafka():
    """A Kafka of this test's own (its outage must not disturb the rest of the suite)."""
    import shutil
    import uuid

    from deploy.stack import stack
    from deploy.stack.config import REPO_ROOT, StackConfig
    from tests.support.processes import free_port

    root = REPO_ROOT / ".stack" / "test-stacks" / uuid.uuid4().hex[:8]
    cfg = StackConfig(root=root, kafka_port=free_port(), kafka_controller_port=free_port())
    (root / "kafka").mkdir(parents=True)
    (root / "kafka" / "libs").symlink_to(stack.kafka.fetch_jars(StackConfig.from_env()))
    stack.up(cfg, ["kafka"], echo=lambda _l: None)
    yield cfg
    stack.down(cfg, ["kafka"], echo=lambda _l: None)
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_while_kafka_is_down_the_gateway_holds_its_acks_and_loses_nothing(
    site: Site, gateways: Gateways, endpoints, own_kafka
) -> None:
    import os
    import signal

    from deploy.stack import kafka
    from deploy.stack import stack as launcher

    gateways.env["HW_KAFKA_BOOTSTRAP"] = own_kafka.kafka_bootstrap
    # 80 heartbeats of one device within a second or two: over its default burst (50), and the
    # rate limit is not what this test is about (some would go to hw.rejected.v1 instead).
    gateways.env["HW_INGEST_BURST_PER_DEVICE"] = "1000"
    kafka.create_topics(own_kafka.kafka_bootstrap, endpoints.topics)
    gateway = gateways.start()
    reader = TopicReader(own_kafka.kafka_bootstrap, [endpoints.topics.readings])
    client = site.client(endpoints)
    device = next(iter(site.devices))

    def publish(seqs: range) -> None:
        infos = [
            client.publish(
                f"hw/v1/{site.enterprise_id}/{device}/heartbeat",
                json.dumps({"ts": int(time.time() * 1000), "seq": s}),
                qos=1,
            )
            for s in seqs
        ]
        for info in infos:
            info.wait_for_publish(30)

    try:
        publish(range(0, 40))
        assert len(reader.take(40)) == 40
        pid = kafka.pid(own_kafka)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        publish(range(40, 80))  # the broker takes them; the gateway cannot forward them
        assert _poll(lambda: _inflight(gateway.port) > 0), "the gateway acknowledged without Kafka"
        launcher.up(own_kafka, ["kafka"], echo=lambda _l: None)
        seqs = {v["seq"] for _t, _k, v in reader.take(40, timeout=120)}
        while len(seqs | set(range(40))) < 80:
            seqs |= {v["seq"] for _t, _k, v in reader.take(1, timeout=60)}
        assert seqs | set(range(40)) == set(range(80))
    finally:
        reader.close()
        client.loop_stop()


def _poll(check, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def _inflight(port: int) -> float:
    import httpx

    for line in httpx.get(f"http://127.0.0.1:{port}/metrics").text.splitlines():
        if line.startswith("hazardwatch_ingest_inflight_messages "):
            return float(line.split()[1])
    return 0.0
