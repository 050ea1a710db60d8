"""The demo county's detectors and its scripted incidents, as pure functions of elapsed time.

Each device has a script `(t, rng) -> Message | None`: what it reports `t` seconds into the demo
(None = silent). Payloads follow the public MQTT contract (DESIGN section 4); `ts` and `seq` are
added by the publisher.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    channel: str  # telemetry | event | heartbeat
    payload: dict[str, Any]


Script = Callable[[float, random.Random], "Message | None"]


@dataclass(frozen=True)
class Incident:
    at_s: float
    device_id: str
    what: str


def _gas(level: Callable[[float], float], unit: str = "%LEL") -> Script:
    def script(t: float, rng: random.Random) -> Message:
        value = max(0.0, level(t) + rng.uniform(-0.8, 0.8))
        return Message("telemetry", {"concentration": round(value, 1), "unit": unit})

    return script


def _valve(closes_at: float | None) -> Script:
    def script(t: float, rng: random.Random) -> Message:
        closed = closes_at is not None and t >= closes_at
        return Message("telemetry", {"state": "closed" if closed else "open"})

    return script


def _heartbeat(event_at: float | None = None, event: str = "") -> Script:
    fired: set[float] = set()

    def script(t: float, rng: random.Random) -> Message:
        if event_at is not None and t >= event_at and event_at not in fired:
            fired.add(event_at)
            return Message("event", {"event": event})
        return Message("heartbeat", {})

    return script


def _silent_after(after: float, script: Script) -> Script:
    return lambda t, rng: None if t >= after else script(t, rng)


def _slow_leak(t: float) -> float:
    """Rises 2 %LEL/s from t=5 to 60 %LEL, then drains once the valve has closed (t=40)."""
    if t < 5:
        return 3.0
    if t < 40:
        return min(60.0, 3.0 + 2.0 * (t - 5))
    return max(3.0, 60.0 - 4.0 * (t - 40))


def _step_leak(t: float) -> float:
    return 70.0 if 10 <= t < 45 else 2.0


def _frozen(value: float) -> Script:
    # A value that never moves, not even in the last digit, is the tamper sign.
    return lambda t, rng: Message("telemetry", {"concentration": value, "unit": "mg/m3"})


def _electrical(t: float, rng: random.Random) -> Message:
    return Message(
        "telemetry",
        {"residual_current_ma": round(rng.uniform(20, 60)), "temperature_c": 38 + rng.random()},
    )


def scripts(run_seed: int) -> dict[str, Script]:
    """The county's scripts; the frozen value differs per run, so a rerun is a new occurrence."""
    return {**SCRIPTS, "GD-0004": _frozen(round(0.2 + (run_seed % 9) / 10, 1))}


SCRIPTS: dict[str, Script] = {
    "GD-0001": _gas(_slow_leak),
    "SV-0001": _valve(closes_at=36.0),
    "GD-0002": _gas(lambda t: 4.0),
    "SV-0002": _valve(closes_at=None),
    "GD-0003": _silent_after(20.0, _gas(lambda t: 2.0)),
    "GD-0004": _frozen(0.3),
    "GD-0101": _gas(_step_leak),
    # The valve that fails to close on the alarm; staff shut it by hand at t+65.
    "SV-0101": _valve(closes_at=65.0),
    "GD-0201": _gas(lambda t: 1.5),
    "SV-0201": _valve(closes_at=None),
    "EL-0001": _heartbeat(),
    "EL-0002": _heartbeat(event_at=15.0, event="trapped"),
    "EL-0003": _heartbeat(),
    "FP-0001": _heartbeat(),
    "FS-0001": _heartbeat(),
    "FE-0001": _electrical,
}

INCIDENTS: tuple[Incident, ...] = (
    Incident(5, "GD-0001", "slow leak at the tank farm; reaches level 2, valve SV-0001 closes"),
    Incident(
        10,
        "GD-0101",
        "kitchen leak at a restaurant; valve SV-0101 fails to close (shut by hand at t+65)",
    ),
    Incident(15, "EL-0002", "passenger trapped in an elevator"),
    Incident(20, "GD-0003", "detector at the loading bay stops reporting"),
    Incident(0, "GD-0004", "H2S detector reports a frozen value (tamper)"),
)
