"""From an MQTT message to envelopes and rejections: the gateway's pure core.

`accept` never raises for bad input: every outcome is an `Accepted` envelope or a `Rejected`
with a reason code of the contract (bad_json, schema, unknown_device, not_owner, too_large,
future_ts, rate_limited) and a detail a device vendor can act on.

The single-message path is the hot one (thousands a second): the payload's bytes are validated
straight into the family's model by pydantic-core (no json.loads, no dict), and the envelope is
encoded once, by orjson, from the model's fields, without building a ReadingEnvelope (which
would validate what was just validated). The JSON is the one ReadingEnvelope.encode writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from ingest.addressing import Address, parse_topic
from ingest.rate_limit import RateLimiter
from ingest.registry_view import DeviceInfo, RegistrySnapshot
from schemas.envelope import ReadingEnvelope
from schemas.families import Channel, Family
from schemas.readings import parse_payload, parse_payload_json
from schemas.rejected import RejectReason

MAX_MESSAGE_BYTES = 16 * 1024
MAX_BATCH_BYTES = 256 * 1024
MAX_BATCH_ITEMS = 500
MAX_FUTURE = timedelta(hours=24)
_CHANNEL_NAMES = frozenset(c.value for c in Channel)


_LIFTED = ("ts", "seq")


@dataclass(frozen=True, slots=True)
class Accepted:
    device_id: str
    family: Family
    channel: str
    value: bytes  # the envelope's JSON, as it goes onto hw.readings.v1

    @property
    def envelope(self) -> ReadingEnvelope:
        """The envelope as consumers read it (tests and tools; the gateway sends `value`)."""
        return ReadingEnvelope.decode(self.value)


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: RejectReason
    detail: str
    raw: bytes
    device_id: str | None = None
    enterprise_id: str | None = None


Outcome = Accepted | Rejected


def _unknown(_device_id: str) -> DeviceInfo | None:
    return None


@dataclass(slots=True)
class Context:
    registry: RegistrySnapshot
    limiter: RateLimiter
    received_at: datetime
    # Asked for a device the snapshot lacks before it is rejected as unknown_device: the
    # gateway looks at the registry once more (a device registered a moment ago).
    recheck: Callable[[str], DeviceInfo | None] = _unknown


def accept(topic: str, raw: bytes, ctx: Context) -> list[Outcome]:
    address = parse_topic(topic)
    if address is None:
        return [
            Rejected(
                RejectReason.SCHEMA,
                f"topic {topic!r} is not "
                "hw/v1/{enterprise_id}/{device_id}/{telemetry|event|heartbeat|status|batch}",
                raw,
            )
        ]
    limit = MAX_BATCH_BYTES if address.is_batch else MAX_MESSAGE_BYTES
    if len(raw) > limit:
        return [_reject(RejectReason.TOO_LARGE, f"{len(raw)} bytes > {limit}", raw, address)]
    if address.is_batch:
        return _batch(address, raw, ctx)
    return [_single(address, raw, ctx)]


def _single(address: Address, raw: bytes, ctx: Context) -> Outcome:
    device_id, enterprise_id = address.sender_id, address.enterprise_id
    channel = Channel(address.channel)
    device = ctx.registry.devices.get(device_id) or ctx.recheck(device_id)
    problem: tuple[RejectReason, str] | None = None
    if device is None:
        problem = (RejectReason.UNKNOWN_DEVICE, f"device {device_id} is not registered")
    elif owner := _ownership(device, device_id, enterprise_id, None):
        problem = (RejectReason.NOT_OWNER, owner)
    if device is None or problem is not None:
        # Bad JSON is said first, whoever sent it (as before the bytes path): rare, so the
        # payload is decoded only here.
        bad = _decode(raw, channel)
        if isinstance(bad, Rejected):
            return _reject(bad.reason, bad.detail, raw, address)
        assert problem is not None
        return Rejected(problem[0], problem[1], raw, device_id, enterprise_id)
    try:
        parsed = parse_payload_json(device.family, channel, raw)
    except ValidationError as exc:
        if exc.errors()[0]["type"] == "json_invalid":
            return _reject(RejectReason.BAD_JSON, f"not UTF-8 JSON: {_explain(exc)}", raw, address)
        return Rejected(RejectReason.SCHEMA, _explain(exc), raw, device_id, enterprise_id)
    return _checked(enterprise_id, device_id, device, address.channel, parsed, raw, ctx, None)


def _decode(raw: bytes, channel: Channel | None) -> Any | Rejected:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        text = raw.decode("utf-8", "replace").strip()
        if channel is Channel.STATUS and text in ("online", "offline"):
            return text
        return Rejected(RejectReason.BAD_JSON, f"not UTF-8 JSON: {exc}", raw)


def _batch(address: Address, raw: bytes, ctx: Context) -> list[Outcome]:
    body = _decode(raw, None)
    if isinstance(body, Rejected):
        return [_reject(body.reason, body.detail, raw, address)]
    items = body.get("readings") if isinstance(body, dict) else None
    if not isinstance(items, list) or set(body) != {"readings"}:
        return [_reject(RejectReason.SCHEMA, 'a batch is {"readings": [...]}', raw, address)]
    if not items:
        return [_reject(RejectReason.SCHEMA, "a batch holds 1 to 500 readings", raw, address)]
    if len(items) > MAX_BATCH_ITEMS:
        return [
            _reject(
                RejectReason.TOO_LARGE, f"{len(items)} readings > {MAX_BATCH_ITEMS}", raw, address
            )
        ]
    outcomes: list[Outcome] = []
    for item in items:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("device_id"), str)
            or not isinstance(item.get("channel"), str)
            or item["channel"] not in _CHANNEL_NAMES
        ):
            outcomes.append(
                Rejected(
                    RejectReason.SCHEMA,
                    "a batch item needs device_id and channel (telemetry|event|heartbeat|status)",
                    orjson.dumps(item),
                    None,
                    address.enterprise_id,
                )
            )
            continue
        message = {k: v for k, v in item.items() if k not in ("device_id", "channel")}
        outcomes.append(
            _one(
                address.enterprise_id,
                item["device_id"],
                item["channel"],
                message,
                item,
                ctx,
                gateway=address.sender_id,
            )
        )
    return outcomes


def _one(
    enterprise_id: str,
    device_id: str,
    channel: str,
    message: Any,
    item: Any,
    ctx: Context,
    gateway: str | None,
) -> Outcome:
    """A batch's item (already decoded); `item` is what it was in the batch, encoded again
    only for a rejection."""
    device = ctx.registry.devices.get(device_id) or ctx.recheck(device_id)
    if device is None:
        return Rejected(
            RejectReason.UNKNOWN_DEVICE,
            f"device {device_id} is not registered",
            orjson.dumps(item),
            device_id,
            enterprise_id,
        )
    owner_problem = _ownership(device, device_id, enterprise_id, gateway)
    if owner_problem:
        return Rejected(
            RejectReason.NOT_OWNER, owner_problem, orjson.dumps(item), device_id, enterprise_id
        )
    try:
        parsed = parse_payload(device.family, Channel(channel), message)
    except ValidationError as exc:
        return Rejected(
            RejectReason.SCHEMA, _explain(exc), orjson.dumps(item), device_id, enterprise_id
        )
    return _checked(enterprise_id, device_id, device, channel, parsed, item, ctx, gateway)


def _checked(
    enterprise_id: str,
    device_id: str,
    device: DeviceInfo,
    channel: str,
    parsed: BaseModel,
    raw: bytes | Any,
    ctx: Context,
    gateway: str | None,
) -> Outcome:
    """The checks after the schema (time, rate), then the envelope. `raw` is the payload's
    bytes, or a batch item to encode for a rejection."""
    fields = parsed.__dict__  # a validated model's field values, without a copy
    ts = fields.get("ts") or ctx.received_at
    problem: tuple[RejectReason, str] | None = None
    if ts - ctx.received_at > MAX_FUTURE:
        problem = (RejectReason.FUTURE_TS, f"ts {ts.isoformat()} is more than 24 h ahead")
    elif not ctx.limiter.allow(device_id):
        problem = (RejectReason.RATE_LIMITED, "more than the device's rate limit")
    if problem is not None:
        data = raw if isinstance(raw, bytes) else orjson.dumps(raw)
        return Rejected(problem[0], problem[1], data, device_id, enterprise_id)
    envelope = {
        "device_id": device_id,
        "enterprise_id": enterprise_id,
        "family": device.family.value,
        "division": device.division,
        "channel": channel,
        "ts": ts,
        "seq": fields.get("seq"),
        "received_at": ctx.received_at,
        "gateway_id": gateway,
        "payload": {k: v for k, v in fields.items() if k not in _LIFTED and v is not None},
    }
    return Accepted(device_id, device.family, channel, orjson.dumps(envelope, option=_UTC_Z))


_UTC_Z = orjson.OPT_UTC_Z  # "…Z" for UTC, as pydantic writes an aware datetime


def _ownership(
    device: DeviceInfo, device_id: str, enterprise_id: str, gateway: str | None
) -> str | None:
    if device.enterprise_id != enterprise_id:
        return f"device {device_id} does not belong to enterprise {enterprise_id}"
    if gateway is not None and device.gateway != gateway:
        return f"device {device_id} is not behind field gateway {gateway}"
    return None


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def _reject(reason: RejectReason, detail: str, raw: bytes, address: Address) -> Rejected:
    device = None if address.is_batch else address.sender_id
    return Rejected(reason, detail, raw, device, address.enterprise_id)
