"""`./run registry import` keeps certificate permissions in step with the registry at once: a
device moved to another field gateway is published for by the new gateway only, a removed
device's certificate may publish nothing, and a new device's certificate may publish its own
topics, without a `./run certs sync` (issue 22)."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Iterator

import pytest

from deploy.stack import mosquitto
from deploy.stack.config import StackConfig
from tests.integration.registry.conftest import RegistryCli, device, enterprise, rid
from tests.integration.tls.conftest import Issue
from tests.integration.tls.mqtt import connect

pytestmark = pytest.mark.shared_broker

NOT_AUTHORIZED = 0x87
TAKEN = (0x00, 0x10)  # 0x10: taken, no subscriber matched


@pytest.fixture
def imported(stack_config: StackConfig) -> Iterator[list[str]]:
    """Ids whose broker permissions the test's imports create; taken off the ACL after."""
    ids: list[str] = []
    yield ids
    mosquitto.remove_identities(stack_config, ids)


def _publish(port: int, context: ssl.SSLContext, topic: str) -> int | None:
    session = connect(port, context)
    assert session.connected, session.refused
    try:
        body = {"ts": int(time.time() * 1000), "seq": 1, "concentration": 5.0, "unit": "%LEL"}
        return session.publish(topic, json.dumps(body).encode())
    finally:
        session.close()


def test_an_import_moves_a_devices_publishing_right_to_its_new_gateway_at_once(
    registry_cli: RegistryCli, stack_config: StackConfig, issue: Issue, imported: list[str]
) -> None:
    ent = rid("E")
    moved, removed = rid("GD-"), rid("GD-")
    old_gw, new_gw = rid("GW-"), rid("GW-")
    imported += [moved, removed, old_gw, new_gw]
    port = stack_config.mqtt_cert_port
    # Certificates first: the import grants what the registry gives them.
    tls = {identity: issue(identity) for identity in imported}
    first = registry_cli.write(
        [enterprise(ent)], [device(moved, ent, gateway=old_gw), device(removed, ent)]
    )
    status, out, _ = registry_cli.run("import", str(first))
    assert status == 0, out
    assert _publish(port, tls[old_gw], f"hw/v1/{ent}/{old_gw}/batch") in TAKEN
    assert _publish(port, tls[removed], f"hw/v1/{ent}/{removed}/telemetry") in TAKEN
    assert _publish(port, tls[new_gw], f"hw/v1/{ent}/{new_gw}/batch") == NOT_AUTHORIZED

    second = registry_cli.write([enterprise(ent)], [device(moved, ent, gateway=new_gw)])
    status, out, _ = registry_cli.run("import", str(second))

    assert status == 0, out
    silenced = " ".join(sorted([old_gw, removed]))
    assert f"certificates: may publish anew {new_gw}; may publish nothing {silenced}" in out
    assert _publish(port, tls[new_gw], f"hw/v1/{ent}/{new_gw}/batch") in TAKEN
    assert _publish(port, tls[old_gw], f"hw/v1/{ent}/{old_gw}/batch") == NOT_AUTHORIZED
    assert _publish(port, tls[removed], f"hw/v1/{ent}/{removed}/telemetry") == NOT_AUTHORIZED
    assert _publish(port, tls[moved], f"hw/v1/{ent}/{moved}/telemetry") in TAKEN
