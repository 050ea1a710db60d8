"""Sink throughput end to end: readings already in Kafka, one sink process, into the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta

import psycopg
from kafka import KafkaAdminClient, KafkaProducer

from bench.harness import Row
from bench.storage.dataset import COUNTY, START
from deploy.stack.kafka import create_topics
from schemas.topics import TopicNames
from storage.datastore import Datastore


def _produce(bootstrap: str, topic: str, total: int) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, batch_size=256 * 1024)
    for i in range(total):
        device = f"D{i % 500}"
        value = {"device_id": device, "enterprise_id": "E1", "family": "gas",
                 "division": f"{COUNTY}001001", "channel": "telemetry",
                 "ts": (START + timedelta(seconds=i)).isoformat(), "seq": i,
                 "received_at": START.isoformat(), "gateway_id": None,
                 "payload": {"concentration": float(i % 90), "unit": "%LEL"}}  # fmt: skip
        producer.send(topic, key=device.encode(), value=json.dumps(value).encode())
    producer.flush()
    producer.close()


def _count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM readings").fetchone()
    return int(row[0]) if row else 0


def sink_throughput(env: Mapping[str, str], store: Datastore, total: int, label: str) -> Row:
    topics = TopicNames(f"bench{uuid.uuid4().hex[:8]}.")
    bootstrap = env["HW_KAFKA_BOOTSTRAP"]
    create_topics(bootstrap, topics)
    try:
        _produce(bootstrap, topics.readings, total)
        child_env = {**os.environ, **env, "HW_TOPIC_PREFIX": topics.prefix,
                     "HW_DATABASE_URL": store.url, "HW_SINK_HTTP_PORT": "0"}  # fmt: skip
        proc = subprocess.Popen([sys.executable, "-m", "streams.sinks"], env=child_env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            deadline = time.monotonic() + 300
            while _count(store.url) == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            first = time.perf_counter()  # from the first stored batch: excludes the group join
            while (n := _count(store.url)) < total and time.monotonic() < deadline:
                time.sleep(0.1)
            rate = n / (time.perf_counter() - first)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        admin.delete_topics(list(topics.all()))
        admin.close()
    load = "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    return Row(f"sink end to end, Kafka -> database, 1 process ({label})", "rows/s", rate,
               "rows/s", f"{n:,} of {total:,} readings, from the first commit; {load}")  # fmt: skip
