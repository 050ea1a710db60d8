from __future__ import annotations

import jsonschema_rs
import pytest

from schemas.families import Channel, Family
from schemas.jsonschema_export import asyncapi, payload_name, payload_schemas


def test_every_family_and_channel_and_the_batch_have_a_schema():
    names = set(payload_schemas())
    assert names == {payload_name(f, c) for f in Family for c in Channel} | {"batch"}


@pytest.mark.parametrize("ts", ["2026-11-23T08:00:00+08:00", 1_763_884_800_000])
def test_a_vendor_payload_of_the_contract_validates_against_its_exported_schema(ts):
    schema = payload_schemas()["gas.telemetry"]
    jsonschema_rs.validate(schema, {"ts": ts, "seq": 7, "concentration": 12.5, "unit": "%LEL"})


@pytest.mark.parametrize(
    "body",
    [
        {"ts": 1_763_884_800_000, "seq": 7, "concentraton": 12.5, "unit": "%LEL"},
        {"ts": 1_763_884_800_000, "seq": -1, "concentration": 12.5, "unit": "%LEL"},
        {"ts": 1_763_884_800_000, "seq": 7, "concentration": 12.5, "unit": "ppb"},
    ],
)
def test_a_payload_the_gateway_would_refuse_fails_the_exported_schema(body):
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.validate(payload_schemas()["gas.telemetry"], body)


def test_the_asyncapi_document_lists_the_mqtt_channels_and_the_kafka_topics():
    doc = asyncapi()
    assert doc["asyncapi"] == "3.0.0"
    addresses = {c["address"] for c in doc["channels"].values()}
    assert "hw/v1/{enterprise_id}/{gateway_id}/batch" in addresses
    assert {"hw.readings.v1", "hw.rejected.v1"} <= addresses
    for operation in doc["operations"].values():
        assert operation["channel"]["$ref"].removeprefix("#/channels/") in doc["channels"]
