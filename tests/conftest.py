"""Fixtures on the real stack (docs/internals.md "Tests").

Everything here is lazy: unit tests never start a service. The first integration test brings the
local stack up once per session through the launcher (or uses the HW_* endpoints as they are when
HW_EXTERNAL_STACK=1), and every test gets its own topics, database and MQTT users.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from deploy.stack.config import StackConfig
from schemas.settings import Endpoints
from schemas.topics import TopicNames

_TIERS = {"unit": None, "integration": "integration", "e2e": "e2e"}
# Fixtures that run a gateway on the shared broker (see the `shared_broker` marker).
_ON_SHARED_BROKER = {"console", "gateways", "site"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by their folder, so `-m "not e2e"` works without decorating every test, and
    give each its pytest-xdist group: its file (module fixtures stay on one worker), or one
    group for every test on the shared broker: a gateway subscribes to all of hw/v1/#, so it
    would take the readings of a test running beside it for unknown devices."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        for folder, marker in _TIERS.items():
            if folder in parts and marker is not None:
                item.add_marker(getattr(pytest.mark, marker))
        fixtures = set(getattr(item, "fixturenames", ()))
        shared = item.get_closest_marker("shared_broker") or fixtures & _ON_SHARED_BROKER
        item.add_marker(pytest.mark.xdist_group("shared-broker" if shared else item.location[0]))


def random_id(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def stack_config() -> StackConfig:
    return StackConfig.from_env()


@pytest.fixture(scope="session")
def stack(stack_config: StackConfig) -> Endpoints:
    """Endpoints of a running stack: the HW_* environment as it is when HW_EXTERNAL_STACK=1
    (`./run test` starts the stack first and sets it), else the local stack, started once."""
    if os.environ.get("HW_EXTERNAL_STACK") == "1":
        return Endpoints()
    from deploy.stack import stack as launcher

    launcher.up(stack_config, echo=lambda _line: None)
    env = stack_config.env()
    return Endpoints(
        mqtt_host=env["HW_MQTT_HOST"],
        mqtt_port=int(env["HW_MQTT_PORT"]),
        mqtt_service_user=env["HW_MQTT_SERVICE_USER"],
        mqtt_service_password=SecretStr(env["HW_MQTT_SERVICE_PASSWORD"]),
        kafka_bootstrap=env["HW_KAFKA_BOOTSTRAP"],
        database_url=SecretStr(env["HW_DATABASE_URL"]),
        api_url=env["HW_API_URL"],
        prometheus_url=env["HW_PROMETHEUS_URL"],
        topic_prefix="",
    )


@pytest.fixture
def topics(stack: Endpoints) -> Iterator[TopicNames]:
    """The public topics behind a random prefix, created for this test and deleted after it
    (with any internal topics a stream app derived from the same prefix)."""
    with fresh_topics(stack) as names:
        yield names


@contextlib.contextmanager
def fresh_topics(stack: Endpoints) -> Iterator[TopicNames]:
    """`topics` for any scope: created at the start, deleted (by prefix) at the end."""
    from kafka import KafkaAdminClient

    from deploy.stack.kafka import create_topics

    names = TopicNames(prefix=f"{random_id('t')}.")
    create_topics(stack.kafka_bootstrap, names)
    try:
        yield names
    finally:
        admin = KafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap, client_id="hw-tests")
        try:
            mine = [t for t in admin.list_topics() if t.startswith(names.prefix)]
            with contextlib.suppress(Exception):
                admin.delete_topics(mine)
        finally:
            admin.close()


@pytest.fixture
def endpoints(stack: Endpoints, topics: TopicNames) -> Endpoints:
    """The stack's endpoints with this test's topic prefix."""
    return stack.model_copy(update={"topic_prefix": topics.prefix})


@pytest.fixture
def database_url(stack: Endpoints) -> Iterator[str]:
    """A fresh database with every migration applied; dropped after the test."""
    with fresh_database(stack) as url:
        yield url


@contextlib.contextmanager
def fresh_database(stack: Endpoints) -> Iterator[str]:
    """A database with every migration applied, dropped at the end (also for wider scopes)."""
    import psycopg

    base = stack.database_url.get_secret_value()
    name = random_id("hw_test_")
    admin_url = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + f"/{name}"
    if importlib.util.find_spec("storage.migrations") is not None:
        from storage.datastore import Datastore
        from storage.migrations import migrate

        store = Datastore(url)
        try:
            migrate(store)
        finally:
            store.close()
    try:
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def mqtt_enterprise(
    stack: Endpoints, stack_config: StackConfig
) -> Iterator[Callable[..., tuple[str, str]]]:
    """Factory: `mqtt_enterprise(enterprise_id=None, password=None) -> (id, password)` adds a
    broker user that may publish under hw/v1/{id}/#; removed after the test."""
    from deploy.stack import mosquitto

    created: list[str] = []

    def make(enterprise_id: str | None = None, password: str | None = None) -> tuple[str, str]:
        enterprise_id = enterprise_id or random_id("E")
        password = password or uuid.uuid4().hex
        mosquitto.upsert_credentials(
            stack_config, {enterprise_id: mosquitto.hash_password(password)}
        )
        created.append(enterprise_id)
        return enterprise_id, password

    yield make
    if created:
        mosquitto.remove_credentials(stack_config, created)


@pytest.fixture
def service_process(tmp_path: Path) -> Iterator[Callable[..., object]]:
    """Factory: `service_process(["streams", "worker"], env, port)` -> a started
    `tests.support.processes.ServiceProcess` (call `.wait_ready()`); all stopped after the test."""
    from tests.support.processes import ServiceProcess

    started: list[ServiceProcess] = []

    def make(argv: list[str], env: dict[str, str], port: int) -> ServiceProcess:
        name = "-".join(argv).replace("/", "_")
        proc = ServiceProcess(argv, env, port, tmp_path / f"{name}-{len(started)}.log").start()
        started.append(proc)
        return proc

    yield make
    for proc in started:
        proc.stop()


def endpoints_env(endpoints: Endpoints) -> dict[str, str]:
    """The HW_* variables a child process needs to see `endpoints` (incl. the topic prefix)."""
    return {
        "HW_MQTT_HOST": endpoints.mqtt_host,
        "HW_MQTT_PORT": str(endpoints.mqtt_port),
        "HW_MQTT_SERVICE_USER": endpoints.mqtt_service_user,
        "HW_MQTT_SERVICE_PASSWORD": endpoints.mqtt_service_password.get_secret_value(),
        "HW_KAFKA_BOOTSTRAP": endpoints.kafka_bootstrap,
        "HW_KAFKA_SECURITY_PROTOCOL": endpoints.kafka_security_protocol,
        "HW_KAFKA_SASL_MECHANISM": endpoints.kafka_sasl_mechanism,
        "HW_KAFKA_SASL_USERNAME": endpoints.kafka_sasl_username,
        "HW_KAFKA_SASL_PASSWORD": endpoints.kafka_sasl_password.get_secret_value(),
        "HW_KAFKA_CA_FILE": endpoints.kafka_ca_file,
        "HW_DATABASE_URL": endpoints.database_url.get_secret_value(),
        "HW_API_URL": endpoints.api_url,
        "HW_PROMETHEUS_URL": endpoints.prometheus_url,
        "HW_TOPIC_PREFIX": endpoints.topic_prefix,
    }
