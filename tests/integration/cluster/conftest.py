"""A stack of the module's own: a three-node Kafka cluster and a Mosquitto (its folder under
.stack/test-stacks, free ports, the shared stack's Kafka jars). The shared stack's Kafka and
broker are never touched, and no gateway of another test sees this load (so these tests need
not join the "shared-broker" xdist group); only PostgreSQL is shared, with a database of the
test's own."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import uuid
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from deploy.stack import kafka, kafka_cluster, mosquitto, process, stack
from deploy.stack.config import REPO_ROOT, StackConfig
from schemas.settings import Endpoints
from schemas.topics import TopicNames
from tests.conftest import random_id

NODES = 3


def _free_mqtt() -> int:
    """A plain MQTT port whose TLS neighbours (+53, +54: StackConfig) are free too."""
    rng = uuid.uuid4().int
    for attempt in range(200):
        port = 32100 + ((rng + attempt * 104729) % 10) * 60  # below the ephemeral range
        if all(process.port_bindable(p) for p in (port, port + 53, port + 54)):
            return port
    raise RuntimeError("no free ports for a broker")


def _free_base() -> tuple[int, int]:
    """A broker and a controller port such that every node's pair (step 10) is free; below
    the ephemeral range, so no client connection takes one between the check and the start."""
    rng = uuid.uuid4().int
    for attempt in range(200):
        base = 20000 + ((rng + attempt * 7919) % 1200) * 10
        ports = [base + 10 * i + d for i in range(NODES) for d in (0, 1)]
        if all(process.port_bindable(p) for p in ports):
            return base, base + 1
    raise RuntimeError("no free ports for a Kafka cluster")


@pytest.fixture(scope="module")
def cluster() -> Iterator[StackConfig]:
    shared = StackConfig.from_env()
    port, controller = _free_base()
    root = REPO_ROOT / ".stack" / "test-stacks" / f"cluster-{uuid.uuid4().hex[:8]}"
    cfg = StackConfig(
        root=root, kafka_port=port, kafka_controller_port=controller, kafka_nodes=NODES,
        mqtt_port=_free_mqtt(),
    )
    (root / "kafka").mkdir(parents=True)
    # The shared stack's jars: this test is about a cluster, not about Maven.
    (root / "kafka" / "libs").symlink_to(kafka.fetch_jars(shared))
    try:
        stack.up(cfg, ["mosquitto", "kafka"], echo=lambda _l: None)
        yield cfg
    finally:
        mosquitto.down(cfg)
        # Thrown away with its folder: kill -9 spares three controlled shutdowns (~40 s).
        for node in kafka_cluster.nodes(cfg):
            if (pid := kafka_cluster.pid(cfg, node)) is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        process.wait_until(lambda: kafka_cluster.first_pid(cfg) is None, 10.0)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def topics(cluster: StackConfig) -> TopicNames:
    """As tests/conftest.py's, on the cluster, replicated three times (and gone with it)."""
    names = TopicNames(prefix=f"{random_id('t')}.")
    kafka.create_topics(cluster.kafka_bootstrap, names, replication=cluster.kafka_replication)
    return names


@pytest.fixture
def endpoints(stack: Endpoints, cluster: StackConfig, topics: TopicNames) -> Endpoints:
    """The module's broker and cluster, the shared database server, this test's prefix."""
    own = cluster.env()
    return stack.model_copy(
        update={
            "mqtt_port": cluster.mqtt_port,
            "mqtt_service_user": own["HW_MQTT_SERVICE_USER"],
            "mqtt_service_password": SecretStr(own["HW_MQTT_SERVICE_PASSWORD"]),
            "topic_prefix": topics.prefix,
            "kafka_bootstrap": cluster.kafka_bootstrap,
            "kafka_replication": cluster.kafka_replication,
        }
    )


@pytest.fixture
def enterprise(cluster: StackConfig) -> tuple[str, str]:
    """An enterprise's MQTT account on the module's broker: (id, password)."""
    enterprise_id, password = random_id("E"), uuid.uuid4().hex
    mosquitto.upsert_credentials(cluster, {enterprise_id: mosquitto.hash_password(password)})
    return enterprise_id, password
