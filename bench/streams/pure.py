"""Detection + alarm aggregate without Kafka: the ceiling a worker cannot exceed."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from bench.harness import Row
from streams.device import DeviceState
from streams.directory import StaticDirectory
from streams.handlers import DeviceHandler


def envelopes(devices: int, rounds: int) -> list[tuple[str, bytes]]:
    start = datetime.now(UTC)
    out = []
    for round_ in range(rounds):
        ts = (start + timedelta(seconds=round_)).isoformat()
        for index in range(devices):
            device = f"bench-{index}"
            value = 30.0 if (index + round_) % 50 == 0 else 3.0 + (round_ % 3)
            out.append((device, json.dumps({
                "device_id": device, "enterprise_id": f"E{index // 20}", "family": "gas",
                "division": "330106001001", "channel": "telemetry", "ts": ts,
                "seq": round_ + 1, "received_at": ts, "gateway_id": None,
                "payload": {"concentration": value, "unit": "%LEL"},
            }).encode()))
    return out


def throughput(devices: int, rounds: int) -> Row:
    """Each reading: decode, rules, aggregate, and the table round trip (state JSON in/out)."""
    handler = DeviceHandler(StaticDirectory())
    states: dict[str, bytes] = {}
    work = envelopes(devices, rounds)
    began = time.perf_counter()
    for device, raw in work:
        stored = states.get(device)
        state = DeviceState() if stored is None else DeviceState.model_validate_json(stored)
        state, _ = handler.reading("readings", state, raw)
        states[device] = state.model_dump_json().encode()
    elapsed = time.perf_counter() - began
    return Row(f"pure detection, {devices:,} devices x {rounds}", "readings/s",
               round(len(work) / elapsed), "1/s", "decode+rules+aggregate+state JSON, 1 core")
