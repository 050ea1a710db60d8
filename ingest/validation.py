"""From an MQTT message to envelopes and rejections: the gateway's pure core.

`accept` never raises for bad input: every outcome is an `Accepted` envelope or a `Rejected`
with a reason code of the contract (bad_json, schema, unknown_device, not_owner, too_large,
future_ts, rate_limited) and a detail a device vendor can act on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from ingest.addressing import Address, parse_topic
from ingest.rate_limit import RateLimiter
from ingest.registry_view import DeviceInfo, RegistrySnapshot
from schemas.envelope import ReadingEnvelope
from schemas.families import Channel
from schemas.readings import parse_payload
from schemas.rejected import RejectReason

MAX_MESSAGE_BYTES = 16 * 1024
MAX_BATCH_BYTES = 256 * 1024
MAX_BATCH_ITEMS = 500
MAX_FUTURE = timedelta(hours=24)
_CHANNEL_NAMES = frozenset(c.value for c in Channel)


@dataclass(frozen=True, slots=True)
class Accepted:
    envelope: ReadingEnvelope


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
    decoded = _decode(raw, Channel(address.channel))
    if isinstance(decoded, Rejected):
        return [_reject(decoded.reason, decoded.detail, raw, address)]
    return [
        _one(
            address.enterprise_id,
            address.sender_id,
            address.channel,
            decoded,
            raw,
            ctx,
            gateway=None,
        )
    ]


def _decode(raw: bytes, channel: Channel | None) -> Any | Rejected:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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
        item_raw = json.dumps(item, ensure_ascii=False).encode()
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
                    item_raw,
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
                item_raw,
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
    raw: bytes,
    ctx: Context,
    gateway: str | None,
) -> Outcome:
    device = ctx.registry.devices.get(device_id) or ctx.recheck(device_id)
    if device is None:
        return Rejected(
            RejectReason.UNKNOWN_DEVICE,
            f"device {device_id} is not registered",
            raw,
            device_id,
            enterprise_id,
        )
    owner_problem = _ownership(device, device_id, enterprise_id, gateway)
    if owner_problem:
        return Rejected(RejectReason.NOT_OWNER, owner_problem, raw, device_id, enterprise_id)
    try:
        parsed = parse_payload(device.family, Channel(channel), message)
    except ValidationError as exc:
        return Rejected(RejectReason.SCHEMA, _explain(exc), raw, device_id, enterprise_id)
    fields = parsed.model_dump(mode="json")
    ts = getattr(parsed, "ts", None) or ctx.received_at
    if ts - ctx.received_at > MAX_FUTURE:
        return Rejected(
            RejectReason.FUTURE_TS,
            f"ts {ts.isoformat()} is more than 24 h ahead",
            raw,
            device_id,
            enterprise_id,
        )
    if not ctx.limiter.allow(device_id):
        return Rejected(
            RejectReason.RATE_LIMITED,
            "more than the device's rate limit",
            raw,
            device_id,
            enterprise_id,
        )
    return Accepted(
        ReadingEnvelope(
            device_id=device_id,
            enterprise_id=enterprise_id,
            family=device.family,
            division=device.division,
            channel=Channel(channel),
            ts=ts,
            seq=fields.pop("seq", None),
            received_at=ctx.received_at,
            gateway_id=gateway,
            payload={k: v for k, v in fields.items() if k != "ts" and v is not None},
        )
    )


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
