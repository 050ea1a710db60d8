"""hazardwatch's Kafka clients (kafka-python's, and faust's in the stream worker) against a
broker that takes SASL_SSL only (SCRAM-SHA-512, TLS with the stack's certificate;
tests/support/kafka_sasl.py), configured by the HW_KAFKA_* settings alone (issue 22,
docs/security.md "Kafka: SASL_SSL with SCRAM")."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError
from pydantic import SecretStr

from alerts.auth.tokens import Claims, issue
from alerts.commands import KafkaCommandBus
from deploy.stack import certs, kafka
from deploy.stack.config import StackConfig
from ingest.kafka_sink import KafkaSink
from schemas.commands import Actor, AlarmCommand
from schemas.events import Acknowledged, AlarmRaised
from schemas.kafka_access import KafkaAccess
from schemas.settings import Endpoints
from schemas.topics import TopicNames
from tests.conftest import endpoints_env, random_id
from tests.integration.streams.fixtures import StartWorker, start_worker, wire  # noqa: F401
from tests.integration.streams.harness import Wire
from tests.support.kafka_sasl import SecureKafka
from tests.support.processes import ServiceProcess, free_port


@pytest.fixture(scope="module")
def broker(stack: Endpoints, stack_config: StackConfig) -> Iterator[SecureKafka]:
    """One SASL_SSL node for the module, with the shared stack's jars and CA."""
    node = SecureKafka(certs.Authority(stack_config.tls), kafka.fetch_jars(stack_config))
    try:
        yield node.start()
    finally:
        node.stop()


@pytest.fixture
def endpoints(stack: Endpoints, broker: SecureKafka) -> Endpoints:
    """As tests/conftest.py's, but Kafka is the module's SASL_SSL broker, with the test's
    topics there."""
    access, names = broker.access(), TopicNames(prefix=f"{random_id('t')}.")
    broker.create_topics(names)
    return stack.model_copy(update={
        "kafka_bootstrap": access.bootstrap,
        "kafka_security_protocol": access.security_protocol,
        "kafka_sasl_mechanism": access.sasl_mechanism,
        "kafka_sasl_username": access.sasl_username,
        "kafka_sasl_password": access.sasl_password,
        "kafka_ca_file": access.ca_file,
        "topic_prefix": names.prefix,
    })


@pytest.fixture
def topic(broker: SecureKafka) -> str:
    name = random_id("t-sasl-")
    admin = KafkaAdminClient(**broker.access().client_options(), client_id="hw-tests")
    try:
        admin.create_topics([NewTopic(name, 1, 1)])
    finally:
        admin.close()
    return name


def _records(access: KafkaAccess, topic: str, wanted: int, timeout: float = 20.0) -> list[Any]:
    consumer = KafkaConsumer(**access.client_options(), group_id=None, enable_auto_commit=False)
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        found: list[Any] = []
        deadline = time.monotonic() + timeout
        while len(found) < wanted and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                found.extend(records)
        return found
    finally:
        consumer.close()


def _stored(access: KafkaAccess, topic: str) -> int:
    """How many records the partition holds (read with the right credentials)."""
    consumer = KafkaConsumer(**access.client_options(), group_id=None)
    try:
        tp = TopicPartition(topic, 0)
        return int(consumer.end_offsets([tp])[tp])
    finally:
        consumer.close()


def _send_refused(
    access: KafkaAccess, topic: str, caplog: pytest.LogCaptureFixture, expect: str
) -> str:
    """Why a producer with `access` could not send one record: kafka-python logs the broker's
    refusal at each attempt to connect, then gives up bootstrapping, the way every process of
    ours would at its start. On a busy machine a first attempt may not get as far as the
    refusal before the bootstrap gives up: then it tries again, until `expect` is in the log.
    Fails the test if a record is sent."""
    with caplog.at_level(logging.WARNING, logger="kafka"):
        for _attempt in range(4):
            try:
                producer = KafkaProducer(**access.client_options(), acks="all",
                                         bootstrap_timeout_ms=5000, max_block_ms=5000)
                try:
                    producer.send(topic, b"must not arrive").get(timeout=10)
                finally:
                    producer.close(timeout=1)
            except KafkaError as exc:
                why = f"{exc!r}\n{caplog.text}"
                if expect in why:
                    return why
                continue
            raise AssertionError(f"a record was sent with {access}")
    return why


def test_clients_built_from_the_settings_round_trip_a_record_over_sasl_ssl(
    broker: SecureKafka, topic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, setting in broker.env().items():
        monkeypatch.setenv(name, setting)
    access = Endpoints().kafka  # the HW_KAFKA_* environment, as every entrypoint reads it
    key, value = random_id("k-").encode(), uuid.uuid4().hex.encode()
    producer = KafkaProducer(**access.client_options(), acks="all")
    try:
        producer.send(topic, key=key, value=value).get(timeout=20)
    finally:
        producer.close(timeout=5)
    records = _records(access, topic, 1)
    assert [(r.key, r.value) for r in records] == [(key, value)]
    admin = KafkaAdminClient(**access.client_options(), client_id="hw-tests")
    try:
        assert topic in admin.list_topics()
    finally:
        admin.close()


def test_the_gateways_producer_and_the_alerts_command_bus_deliver_over_sasl_ssl(
    broker: SecureKafka, topic: str
) -> None:
    """The two producers whose construction lines the settings changed, as their services
    build them (ingest.gateway, alerts.bootstrap)."""
    done: list[list[int]] = []
    failed: list[Exception] = []
    sink: KafkaSink[int] = KafkaSink(broker.access(), "hw-ingest-test", done.append, failed.append)
    try:
        sink.send(topic, b"gd-1", b"a reading", 1)
        deadline = time.monotonic() + 20
        while not (done or failed):
            assert time.monotonic() < deadline, "the gateway's producer never completed"
            time.sleep(0.05)
    finally:
        sink.close()
    assert (done, failed) == ([[1]], [])
    command = AlarmCommand(
        command_id=random_id("cmd-"), kind="acknowledge", alarm_id=random_id("A"),
        device_id="gd-1", actor=Actor(subject="u-1", role="monitor", scope="330106001"),
        issued_at=datetime.now(UTC),
    )
    bus = KafkaCommandBus(broker.access(), topic)
    try:
        bus.send(command)
    finally:
        bus.close()
    values = [record.value for record in _records(broker.access(), topic, 2)]
    assert values == [b"a reading", command.model_dump_json().encode()]


def test_a_wrong_password_is_refused_and_nothing_is_sent(
    broker: SecureKafka, topic: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = broker.access(sasl_password=SecretStr("not-the-password"))
    why = _send_refused(wrong, topic, caplog, "SaslAuthenticationFailedError")
    assert "SaslAuthenticationFailedError" in why and "invalid credentials" in why, why
    assert "not-the-password" not in why
    assert _stored(broker.access(), topic) == 0


def test_a_client_that_does_not_trust_the_brokers_ca_is_refused(
    broker: SecureKafka, topic: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = certs.Authority(tmp_path / "other-ca")
    other.ensure()
    why = _send_refused(broker.access(ca_file=str(other.ca_cert)), topic, caplog,
                        "CERTIFICATE_VERIFY_FAILED")
    assert "CERTIFICATE_VERIFY_FAILED" in why, why
    assert _stored(broker.access(), topic) == 0


def test_the_worker_sinks_and_alerts_configured_by_hw_kafka_alone_raise_store_and_acknowledge(
    broker: SecureKafka,
    endpoints: Endpoints,
    start_worker: StartWorker,  # noqa: F811
    wire: Wire,  # noqa: F811
    database_url: str,
    service_process: Callable[..., ServiceProcess],
) -> None:
    """Real processes, every hop over SASL_SSL: the test's producer -> the stream worker (faust
    with broker_credentials; its internal topics made by its own admin client) ->
    hw.alarm-events.v1 -> the sinks (kafka-python) -> PostgreSQL; then the alerts service (its
    live feed follows the events topic before it is ready) queues an acknowledgement on
    hw.alarm-commands.v1, which the worker decides and the sinks store."""
    env = {**endpoints_env(endpoints), "HW_DATABASE_URL": database_url}
    worker = start_worker()
    sinks_port = free_port()
    sinks = service_process(["streams.sinks"], {
        **env, "HW_SINK_GROUP_ID": random_id("sink-"), "HW_SINK_HTTP_PORT": str(sinks_port),
    }, sinks_port).wait_ready(timeout=60)
    device, enterprise = random_id("gd-"), random_id("E")
    wire.reading(device, enterprise, {"concentration": 40.0})
    events = wire.wait_for(lambda seen: any(isinstance(e, AlarmRaised) for e in seen))
    raised = next(e for e in events if isinstance(e, AlarmRaised))
    assert raised.device_id == device

    def stored() -> tuple[int, list[str]]:
        with psycopg.connect(database_url) as conn:
            readings = conn.execute(
                "SELECT count(*) FROM readings WHERE device_id = %s", (device,)).fetchone()
            types = conn.execute(
                "SELECT type FROM alarm_events WHERE alarm_id = %s ORDER BY seq",
                (raised.alarm_id,)).fetchall()
        return (readings[0] if readings else 0, [row[0] for row in types])

    def wait_stored(wanted: tuple[int, list[str]]) -> None:
        deadline = time.monotonic() + 30
        while stored() != wanted:
            assert time.monotonic() < deadline, f"stored (readings, alarm events): {stored()}"
            time.sleep(0.2)

    wait_stored((1, ["AlarmRaised"]))
    api_port, secret = free_port(), uuid.uuid4().hex
    api = service_process(["alerts"], {
        **env, "HW_API_URL": f"http://127.0.0.1:{api_port}", "HW_API_TOKEN_SECRET": secret,
    }, api_port).wait_ready(timeout=60)
    monitor = issue(secret, Claims(sub="u-sasl", role="monitor", scope=raised.division[:9],
                                   exp=int(time.time()) + 600))
    answer = httpx.post(
        f"http://127.0.0.1:{api_port}/api/v1/alarms/{raised.alarm_id}/acknowledge",
        headers={"Authorization": f"Bearer {monitor}"}, json={"comment": "over SASL_SSL"},
        timeout=15,
    )
    assert answer.status_code == 202, answer.text
    wire.wait_for(lambda seen: any(isinstance(e, Acknowledged) for e in seen))
    wait_stored((1, ["AlarmRaised", "Acknowledged"]))
    logs = {name: proc.log.read_text(errors="replace")
            for name, proc in (("worker", worker), ("sinks", sinks), ("alerts", api))}
    # aiokafka's and kafka-python's own word (the alerts service keeps Kafka's INFO quiet).
    assert f"Authenticated as {broker.username}" in logs["worker"]
    assert f"Authenticated as {broker.username}" in logs["sinks"]
    assert not [name for name, text in logs.items() if broker.password in text]
