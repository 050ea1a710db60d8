from __future__ import annotations

import uuid

import pytest

from ingest.addressing import parse_topic


def test_a_device_topic_names_enterprise_device_and_channel():
    ent, dev = uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
    address = parse_topic(f"hw/v1/{ent}/{dev}/telemetry")
    assert address is not None
    assert (address.enterprise_id, address.sender_id, address.channel) == (ent, dev, "telemetry")
    assert not address.is_batch


def test_a_field_gateway_topic_is_a_batch():
    address = parse_topic(f"hw/v1/{uuid.uuid4().hex[:8]}/GW-1/batch")
    assert address is not None and address.is_batch


@pytest.mark.parametrize(
    "topic",
    [
        "hw/v2/E1/D1/telemetry",
        "hw/v1/E1/D1/unknown",
        "hw/v1/E1/telemetry",
        "hw/v1/E 1/D1/event",
        "hw/v1/E1/D1/telemetry/extra",
        "",
    ],
)
def test_a_topic_outside_the_contract_is_not_an_address(topic):
    assert parse_topic(topic) is None
