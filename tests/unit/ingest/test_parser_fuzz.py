"""Property: whatever bytes arrive on whatever topic, `accept` answers, never raises."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.rate_limit import RateLimiter
from ingest.registry_view import DeviceInfo, RegistrySnapshot
from ingest.validation import Accepted, Context, Rejected, accept
from schemas.families import Family
from schemas.rejected import RejectReason

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ENT = "E-" + uuid.uuid4().hex[:6]
DEVICES = {
    f"{family.value}-1": DeviceInfo(ENT, family, "330106001001", "GW-1") for family in Family
}
CONTRACT_REASONS = {
    RejectReason.BAD_JSON,
    RejectReason.SCHEMA,
    RejectReason.UNKNOWN_DEVICE,
    RejectReason.NOT_OWNER,
    RejectReason.TOO_LARGE,
    RejectReason.FUTURE_TS,
    RejectReason.RATE_LIMITED,
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "ts",
        "seq",
        "concentration",
        "unit",
        "state",
        "event",
        "status",
        "temperature_c",
        "residual_current_ma",
        "floor",
        "moving",
        "door_open",
        "load_pct",
        "device_id",
        "channel",
    ]
)
field_values = (
    json_values
    | st.sampled_from(["%LEL", "ppm", "open", "closed", "trapped", "fire_alarm", "online"])
    | st.integers(min_value=1_600_000_000_000, max_value=1_900_000_000_000)
    | st.sampled_from(["2026-11-23T08:00:00Z", "2026-11-23T08:00:00", "2099-01-01T00:00:00Z"])
)
plausible = st.dictionaries(field_names, field_values, max_size=6)
batches = st.lists(plausible, max_size=5).map(lambda items: {"readings": items})
bodies = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    plausible.map(lambda v: json.dumps(v).encode()),
    batches.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"online", b"offline", b"\xff\xfe", b"{", b""]),
)
topics = st.one_of(
    st.builds(
        lambda ent, dev, ch: f"hw/v1/{ent}/{dev}/{ch}",
        st.sampled_from([ENT, "E-other", "bad/ent"]),
        st.sampled_from([*DEVICES, "GW-1", "nobody"]),
        st.sampled_from(["telemetry", "event", "heartbeat", "status", "batch", "nope"]),
    ),
    st.text(max_size=30),
)


@settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(topic=topics, raw=bodies)
def test_every_payload_is_accepted_or_rejected_with_a_contract_reason(topic: str, raw: bytes):
    context = Context(RegistrySnapshot(DEVICES), RateLimiter(10, 50, lambda: 0.0), NOW)
    outcomes = accept(topic, raw, context)
    assert outcomes or topic.endswith("/batch")
    for outcome in outcomes:
        if isinstance(outcome, Accepted):
            assert outcome.envelope.device_id in DEVICES
            assert outcome.envelope.enterprise_id == ENT
        else:
            assert isinstance(outcome, Rejected)
            assert outcome.reason in CONTRACT_REASONS and outcome.detail
