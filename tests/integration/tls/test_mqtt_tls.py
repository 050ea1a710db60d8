"""MQTT over TLS on the shared stack's broker (issue 22): device certificates publish only their
own topics and are forwarded by a gateway that itself connects over TLS; revoked, expired and
foreign certificates are refused, and so is a server the client does not trust."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deploy.stack import certs, mosquitto
from deploy.stack.config import StackConfig
from ingest.tls import tls_context
from schemas.settings import Endpoints
from storage.datastore import Datastore
from storage.registry import RegistryRepository
from tests.conftest import random_id
from tests.integration.ingest.conftest import Gateways, Site, TopicReader
from tests.integration.tls.conftest import Issue, trusting
from tests.integration.tls.mqtt import connect

pytestmark = pytest.mark.shared_broker

NOT_AUTHORIZED = 0x87


def _gas(seq: int) -> bytes:
    return json.dumps(
        {"ts": int(time.time() * 1000), "seq": seq, "concentration": 5.0, "unit": "%LEL"}
    ).encode()


def _records_of(reader: TopicReader, device: str, until_found: bool) -> list[Any]:
    """Records keyed by `device` among what arrives (the gateway also sees, and rejects, every
    other test's traffic on the broker): until one comes (at most 30 s), or within 2 s."""
    found: list[Any] = []
    deadline = time.monotonic() + (30 if until_found else 2)
    while time.monotonic() < deadline and not (until_found and found):
        found += [r for r in reader.quiet(0.5) if r[1] == device.encode()]
    return found


def test_a_device_certificate_publishes_its_own_readings_over_tls_and_no_other_devices(
    site: Site,
    gateways: Gateways,
    reader: TopicReader,
    database_url: str,
    stack_config: StackConfig,
    endpoints: Endpoints,
    issue: Issue,
    identities: Any,
) -> None:
    gas = next(d for d, f in site.devices.items() if f == "gas")
    other = next(d for d, f in site.devices.items() if f == "fire")
    with Datastore(database_url) as store:
        topics = certs.allowed_topics(RegistryRepository(store).load(), gas)
    assert topics == [f"hw/v1/{site.enterprise_id}/{gas}/+"]
    identities({gas: topics})
    # The gateway over TLS only: its plain port points nowhere.
    Gateways(
        {**gateways.env, "HW_MQTT_PORT": "1", "HW_MQTT_TLS": "1",
         "HW_MQTT_TLS_PORT": str(stack_config.mqtt_tls_port),
         "HW_MQTT_CA_FILE": str(certs.Authority(stack_config.tls).ca_cert)},
        gateways.service_process,
    ).start()
    device = connect(stack_config.mqtt_cert_port, issue(gas))
    assert device.connected, device.refused
    try:
        own = device.publish(f"hw/v1/{site.enterprise_id}/{gas}/telemetry", _gas(1))
        foreign = device.publish(f"hw/v1/{site.enterprise_id}/{other}/telemetry", _gas(1))
    finally:
        device.close()
    assert own in (0x00, 0x10)  # taken (0x10: taken, no subscriber matched yet)
    assert foreign == NOT_AUTHORIZED
    forwarded = _records_of(reader, gas, until_found=True)
    assert [(topic, value["seq"]) for topic, _k, value in forwarded] == [
        (endpoints.topics.readings, 1)
    ]
    assert _records_of(reader, other, until_found=False) == []


def test_revoked_expired_and_foreign_ca_certificates_are_refused(
    stack_config: StackConfig, authority: certs.Authority, issue: Issue, tmp_path: Path
) -> None:
    port = stack_config.mqtt_cert_port
    revoked_id = random_id("DEV-")
    revoked = issue(revoked_id)
    before = connect(port, revoked)
    assert before.connected, before.refused  # the same certificate worked until revoked
    before.close()
    authority.revoke(revoked_id)
    mosquitto.reload(stack_config)

    expired = issue(random_id("DEV-"), days=1, valid_from=datetime.now(UTC) - timedelta(days=3))
    other_ca = certs.Authority(tmp_path / "other-ca")
    other_ca.ensure()
    files = other_ca.issue(random_id("DEV-"))  # trusts the stack's broker, signed elsewhere
    foreign = tls_context(str(authority.ca_cert), str(files.cert), str(files.key))
    for name, context in {"revoked": revoked, "expired": expired, "other CA": foreign}.items():
        session = connect(port, context)
        assert not session.connected, f"a {name} certificate was let in"
        assert session.refused, name
        session.close()


def test_a_client_that_does_not_trust_the_server_refuses_it(
    stack_config: StackConfig, authority: certs.Authority, mqtt_enterprise: Any, tmp_path: Path
) -> None:
    enterprise, password = mqtt_enterprise()
    port = stack_config.mqtt_tls_port
    trusted = connect(port, trusting(authority.ca_cert), enterprise, password)
    assert trusted.connected, trusted.refused  # an enterprise's password over TLS, as today
    assert trusted.publish(f"hw/v1/{enterprise}/GD-1/heartbeat", b"{}") in (0x00, 0x10)
    trusted.close()
    other_ca = certs.Authority(tmp_path / "other-ca")
    other_ca.ensure()
    for name, ca in {"another CA": other_ca.ca_cert, "the system's CAs": None}.items():
        session = connect(port, trusting(ca), enterprise, password)
        assert not session.connected, f"a client trusting {name} connected"
        assert "CERTIFICATE_VERIFY_FAILED" in session.refused, session.refused
