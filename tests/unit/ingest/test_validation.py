from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ingest.rate_limit import RateLimiter
from ingest.registry_view import DeviceInfo, RegistrySnapshot
from ingest.validation import Accepted, Context, Rejected, accept
from schemas.families import Channel, Family
from schemas.rejected import RejectReason

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
# Fixed ids: the parametrized test ids carry them, and parallel workers must collect the same tests.
ENT, OTHER = "E-5a17e1", "E-0f4e2b"
DIVISION = "330106001001"
DEVICES = {
    "GD-1": DeviceInfo(ENT, Family.GAS, DIVISION, "GW-1"),
    "SV-1": DeviceInfo(ENT, Family.SHUTOFF, DIVISION, "GW-1"),
    "EL-1": DeviceInfo(ENT, Family.ELEVATOR, DIVISION, None),
    "FE-1": DeviceInfo(ENT, Family.FIRE, DIVISION, None),
    "GD-9": DeviceInfo(OTHER, Family.GAS, "330106002001", None),
}


def ctx(limiter: RateLimiter | None = None) -> Context:
    return Context(RegistrySnapshot(DEVICES), limiter or RateLimiter(10, 50, lambda: 0.0), NOW)


def one(topic: str, body: object, context: Context | None = None) -> Accepted | Rejected:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    [outcome] = accept(topic, raw, context or ctx())
    return outcome


@pytest.mark.parametrize(
    ("device", "channel", "body", "payload"),
    [
        (
            "GD-1",
            "telemetry",
            {"concentration": 12.5, "unit": "%LEL"},
            {"concentration": 12.5, "unit": "%LEL"},
        ),
        ("SV-1", "telemetry", {"state": "closed"}, {"state": "closed"}),
        ("EL-1", "event", {"event": "trapped"}, {"event": "trapped"}),
        ("FE-1", "telemetry", {"residual_current_ma": 35}, {"residual_current_ma": 35.0}),
        ("FE-1", "heartbeat", {}, {}),
    ],
)
def test_a_valid_message_of_each_family_becomes_an_envelope(device, channel, body, payload):
    outcome = one(f"hw/v1/{ENT}/{device}/{channel}", {"ts": NOW_MS, "seq": 7, **body})
    assert isinstance(outcome, Accepted)
    env = outcome.envelope
    assert (env.device_id, env.enterprise_id, env.division, env.channel, env.seq) == (
        device,
        ENT,
        DIVISION,
        Channel(channel),
        7,
    )
    assert env.ts == NOW and env.received_at == NOW and env.payload == payload


def test_rfc3339_time_with_an_offset_is_stored_in_utc():
    outcome = one(f"hw/v1/{ENT}/GD-1/heartbeat", {"ts": "2026-11-23T16:00:00+08:00", "seq": 1})
    assert isinstance(outcome, Accepted) and outcome.envelope.ts == NOW


def test_the_retained_last_will_may_be_the_bare_word():
    outcome = one(f"hw/v1/{ENT}/GD-1/status", b"offline")
    assert isinstance(outcome, Accepted)
    assert outcome.envelope.payload == {"status": "offline"} and outcome.envelope.seq is None


@pytest.mark.parametrize(
    ("topic", "raw", "reason"),
    [
        (f"hw/v1/{ENT}/GD-1/telemetry", b"{not json", RejectReason.BAD_JSON),
        (
            f"hw/v1/{ENT}/GD-1/telemetry",
            json.dumps({"ts": NOW_MS, "seq": 1, "concentraton": 3, "unit": "%LEL"}).encode(),
            RejectReason.SCHEMA,
        ),
        (f"hw/v1/{ENT}/GD-1/nonsense", b"{}", RejectReason.SCHEMA),
        (
            f"hw/v1/{ENT}/GD-404/heartbeat",
            json.dumps({"ts": NOW_MS, "seq": 1}).encode(),
            RejectReason.UNKNOWN_DEVICE,
        ),
        (
            f"hw/v1/{ENT}/GD-9/heartbeat",
            json.dumps({"ts": NOW_MS, "seq": 1}).encode(),
            RejectReason.NOT_OWNER,
        ),
        (
            f"hw/v1/{ENT}/GD-1/heartbeat",
            b'{"ts": 1, "seq": 1, "pad": "' + b"x" * 17000 + b'"}',
            RejectReason.TOO_LARGE,
        ),
        (
            f"hw/v1/{ENT}/GD-1/heartbeat",
            json.dumps({"ts": NOW_MS + 25 * 3600 * 1000, "seq": 1}).encode(),
            RejectReason.FUTURE_TS,
        ),
    ],
)
def test_bad_input_is_rejected_with_its_reason_code(topic, raw, reason):
    outcome = one(topic, raw)
    assert isinstance(outcome, Rejected) and outcome.reason is reason and outcome.raw == raw
    assert outcome.detail


def test_a_day_old_reading_is_kept_because_devices_buffer_while_offline():
    old = int((NOW - timedelta(days=1)).timestamp() * 1000)
    assert isinstance(one(f"hw/v1/{ENT}/GD-1/heartbeat", {"ts": old, "seq": 3}), Accepted)


def test_a_flooding_device_is_rate_limited_after_its_burst_and_others_are_not():
    clock = [0.0]
    limiter = RateLimiter(rate=10, burst=50, clock=lambda: clock[0])
    context = ctx(limiter)
    outcomes = [
        one(f"hw/v1/{ENT}/GD-1/heartbeat", {"ts": NOW_MS, "seq": i}, context) for i in range(60)
    ]
    assert sum(isinstance(o, Accepted) for o in outcomes) == 50
    assert isinstance(
        one(f"hw/v1/{ENT}/SV-1/heartbeat", {"ts": NOW_MS, "seq": 1}, context), Accepted
    )
    clock[0] = 1.0  # ten more tokens a second later
    later = [
        one(f"hw/v1/{ENT}/GD-1/heartbeat", {"ts": NOW_MS, "seq": 100 + i}, context)
        for i in range(11)
    ]
    assert sum(isinstance(o, Accepted) for o in later) == 10


def test_a_batch_splits_and_a_bad_item_is_rejected_alone():
    batch = {
        "readings": [
            {
                "device_id": "GD-1",
                "channel": "telemetry",
                "ts": NOW_MS,
                "seq": 1,
                "concentration": 3.0,
                "unit": "%LEL",
            },
            {"device_id": "SV-1", "channel": "telemetry", "ts": NOW_MS, "seq": 1, "state": "ajar"},
            {"device_id": "EL-1", "channel": "heartbeat", "ts": NOW_MS, "seq": 1},
            {"device_id": "SV-1", "channel": "heartbeat", "ts": NOW_MS, "seq": 2},
        ]
    }
    outcomes = accept(f"hw/v1/{ENT}/GW-1/batch", json.dumps(batch).encode(), ctx())
    kinds = [(type(o).__name__, getattr(o, "reason", None)) for o in outcomes]
    assert kinds == [
        ("Accepted", None),
        ("Rejected", RejectReason.SCHEMA),
        ("Rejected", RejectReason.NOT_OWNER),
        ("Accepted", None),
    ]
    assert outcomes[0].envelope.gateway_id == "GW-1"


def test_a_batch_of_more_than_500_readings_is_refused_whole():
    batch = {
        "readings": [
            {"device_id": "GD-1", "channel": "heartbeat", "ts": NOW_MS, "seq": i}
            for i in range(501)
        ]
    }
    [outcome] = accept(f"hw/v1/{ENT}/GW-1/batch", json.dumps(batch).encode(), ctx())
    assert isinstance(outcome, Rejected) and outcome.reason is RejectReason.TOO_LARGE


@pytest.mark.parametrize(
    ("topic", "body"),
    [
        (
            f"hw/v1/{ENT}/GD-1/telemetry",
            {"ts": "2026-11-23T16:00:00.250+08:00", "seq": 58.0, "concentration": 3, "unit": "ppm"},
        ),
        (f"hw/v1/{ENT}/EL-1/telemetry", {"ts": NOW_MS, "seq": 1, "floor": 3, "moving": True}),
        (f"hw/v1/{ENT}/GD-1/status", {"status": "online"}),
    ],
)
def test_the_envelope_is_written_as_the_envelope_model_writes_it(topic, body):
    """The gateway encodes envelopes itself (orjson, from the validated fields): the bytes
    are exactly what ReadingEnvelope.encode would write, so consumers see no difference."""
    outcome = one(topic, body)
    assert isinstance(outcome, Accepted)
    assert outcome.value == outcome.envelope.encode()


@pytest.mark.parametrize(
    "body",
    [
        {"ts": NOW_MS, "seq": 1, "concentration": "12.5", "unit": "%LEL"},
        {"ts": "2026-11-23 08:00:00+08:00", "seq": 1, "concentration": 1, "unit": "%LEL"},
        {"ts": "2026-11-23T08:00:00+0800", "seq": 1, "concentration": 1, "unit": "%LEL"},
        {"ts": NOW_MS, "seq": 1.5, "concentration": 1, "unit": "%LEL"},
        {"ts": NOW_MS, "seq": "1", "concentration": 1, "unit": "%LEL"},
    ],
)
def test_text_for_numbers_and_time_that_is_not_rfc3339_are_refused(body):
    """DESIGN section 4 as the exported schema says it: JSON numbers, RFC 3339 time."""
    outcome = one(f"hw/v1/{ENT}/GD-1/telemetry", body)
    assert isinstance(outcome, Rejected) and outcome.reason is RejectReason.SCHEMA
