"""JSON Schema of every device payload and an AsyncAPI 3.0 document of the channels.

Pure: builds documents as dicts; `./run schemas export DIR` writes them. Device vendors validate
their firmware's output against these files, so they are generated from the very models the
gateway validates with and cannot drift from them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from schemas.envelope import ReadingEnvelope
from schemas.families import Channel, Family
from schemas.readings import MODELS
from schemas.rejected import RejectedMessage

# The very bounds the gateway applies, so the schema cannot drift from them.
from schemas.timestamps import _MAX_EPOCH_MS as MAX_EPOCH_MS
from schemas.timestamps import _MIN_EPOCH_MS as MIN_EPOCH_MS
from schemas.timestamps import RFC3339
from schemas.topics import READINGS, REJECTED

JsonDoc = dict[str, Any]

_TS_NOTE = (
    "Device time: RFC 3339 with an offset, or epoch milliseconds. More than 24 h in the future "
    "is rejected (future_ts); older is kept (devices buffer while offline)."
)


def payload_name(family: Family, channel: Channel) -> str:
    return f"{family.value}.{channel.value}"


def payload_schemas() -> dict[str, JsonDoc]:
    """`{family}.{channel}` -> JSON Schema (draft 2020-12) of that MQTT payload."""
    docs: dict[str, JsonDoc] = {}
    for (family, channel), model in sorted(MODELS.items()):
        schema = model.model_json_schema(mode="validation")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"urn:hazardwatch:mqtt:{payload_name(family, channel)}"
        schema["title"] = f"hw/v1/{{enterprise_id}}/{{device_id}}/{channel.value} ({family.value})"
        if "ts" in schema["properties"]:
            ts = _ts_schema()
            if "ts" not in schema.get("required", []):
                ts["anyOf"].append({"type": "null"})
            schema["properties"]["ts"] = ts
        if channel is Channel.STATUS:
            schema = _status_schema(schema)
        docs[payload_name(family, channel)] = schema
    docs["batch"] = _batch_schema()
    return docs


def _ts_schema() -> JsonDoc:
    """As schemas/timestamps.py reads `ts`: RFC 3339 text, or epoch milliseconds within the
    range it takes (a number of seconds by mistake is refused, so the schema refuses it)."""
    return {
        "anyOf": [
            # The format names the intent; the pattern holds every validator to RFC 3339 itself
            # (some formats take "2026-11-23 08:00:00" or "+0800", which the gateway refuses).
            {"type": "string", "format": "date-time", "pattern": RFC3339},
            {"type": "number", "minimum": MIN_EPOCH_MS, "maximum": MAX_EPOCH_MS},
        ],
        "description": _TS_NOTE,
    }


def _status_schema(model_schema: JsonDoc) -> JsonDoc:
    """The Last Will is the JSON object, or just the word as a JSON string (the gateway takes
    the bare word unquoted too, which is not JSON and so not in a JSON Schema)."""
    outer = {k: model_schema.pop(k) for k in ("$schema", "$id", "title", "description")}
    return {**outer, "anyOf": [model_schema, {"type": "string", "enum": ["online", "offline"]}]}


def _batch_schema() -> JsonDoc:
    # ts and seq as every single message has them (ajv's strict mode wants every required
    # property declared); the rest of an item is its family's and channel's payload.
    heartbeat = MODELS[(Family.GAS, Channel.HEARTBEAT)].model_json_schema(mode="validation")
    item = {
        "type": "object",
        "required": ["device_id", "channel", "ts", "seq"],
        "properties": {
            "device_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
            "channel": {"enum": [c.value for c in Channel]},
            "ts": _ts_schema(),
            "seq": heartbeat["properties"]["seq"],
        },
        "description": "One message of the device's family and channel, plus device_id and "
        "channel; each item is accepted or rejected on its own.",
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:hazardwatch:mqtt:batch",
        "title": "hw/v1/{enterprise_id}/{gateway_id}/batch",
        "type": "object",
        "required": ["readings"],
        "additionalProperties": False,
        "properties": {"readings": {"type": "array", "maxItems": 500, "items": item}},
    }


def asyncapi() -> JsonDoc:
    """AsyncAPI 3.0: the MQTT device channels (received) and the Kafka topics (sent)."""
    payloads = payload_schemas()
    messages = {
        name.replace(".", "_"): {"name": name, "payload": {"$ref": f"{name}.schema.json"}}
        for name in payloads
    }
    mqtt_channels = {
        f"mqtt_{channel.value}": {
            "address": f"hw/v1/{{enterprise_id}}/{{device_id}}/{channel.value}",
            "servers": [{"$ref": "#/servers/mosquitto"}],
            "messages": {
                f"{family.value}_{channel.value}": {
                    "$ref": f"#/components/messages/{family.value}_{channel.value}"
                }
                for family in Family
            },
        }
        for channel in Channel
    }
    mqtt_channels["mqtt_batch"] = {
        "address": "hw/v1/{enterprise_id}/{gateway_id}/batch",
        "servers": [{"$ref": "#/servers/mosquitto"}],
        "messages": {"batch": {"$ref": "#/components/messages/batch"}},
    }
    kafka_channels = {
        "kafka_readings": _kafka_channel(READINGS, "reading_envelope"),
        "kafka_rejected": _kafka_channel(REJECTED, "rejected_message"),
    }
    shared: JsonDoc = {}
    messages["reading_envelope"] = {"payload": _component_payload(ReadingEnvelope, shared)}
    messages["rejected_message"] = {"payload": _component_payload(RejectedMessage, shared)}
    channels = {**mqtt_channels, **kafka_channels}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "hazardwatch device and pipeline channels", "version": "1.0.0"},
        "servers": {
            "mosquitto": {"host": "localhost:18830", "protocol": "mqtt", "protocolVersion": "5"},
            "kafka": {"host": "localhost:19092", "protocol": "kafka"},
        },
        "channels": channels,
        "operations": {
            **{
                f"receive_{name}": {
                    "action": "receive",
                    "channel": {"$ref": f"#/channels/{name}"},
                    "bindings": {"mqtt": {"qos": 1}},
                }
                for name in mqtt_channels
            },
            **{
                f"send_{name}": {"action": "send", "channel": {"$ref": f"#/channels/{name}"}}
                for name in kafka_channels
            },
        },
        "components": {"messages": messages, "schemas": dict(sorted(shared.items()))},
    }


def _component_payload(model: type[BaseModel], shared: JsonDoc) -> JsonDoc:
    """The model's schema with its nested definitions moved to `components.schemas`.

    pydantic puts them under the payload's own `$defs` and refers to `#/$defs/X`, which in
    an AsyncAPI document points at the document's root, where there is no `$defs`: the
    parser (and every tool built on it) refused the document for those dangling refs.
    """
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    shared.update(schema.pop("$defs", {}))
    return schema


def _kafka_channel(topic: str, message: str) -> JsonDoc:
    return {
        "address": topic,
        "servers": [{"$ref": "#/servers/kafka"}],
        "messages": {message: {"$ref": f"#/components/messages/{message}"}},
        "bindings": {"kafka": {"topic": topic, "partitions": 12}},
    }
