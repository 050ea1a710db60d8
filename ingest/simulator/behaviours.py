"""What a simulated device reports at time `t` (seconds since the run began): pure functions of
`t` and a seeded random generator, so a run is reproducible from its seed."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemas.families import Channel, Family

Body = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Message:
    channel: Channel
    body: Body  # the family payload without ts/seq


Behaviour = Callable[[float, random.Random], Message]

# One heartbeat per this many reports: telemetry already proves the device is alive.
_HEARTBEAT_EVERY = 10


def gas_noise(base: float = 2.0, drift_per_h: float = 0.5) -> Behaviour:
    """A clean site: small noise around `base` %LEL with a slow sensor drift."""

    def report(t: float, rng: random.Random) -> Message:
        value = base + drift_per_h * t / 3600 + rng.gauss(0, 0.3)
        return _gas(value)

    return report


def gas_slow_leak(start_s: float, per_s: float = 0.5) -> Behaviour:
    """A leak that starts at `start_s` and rises linearly (through level 1, then level 2)."""

    def report(t: float, rng: random.Random) -> Message:
        return _gas(2.0 + max(0.0, t - start_s) * per_s + rng.gauss(0, 0.3))

    return report


def gas_step_leak(start_s: float, level: float = 60.0) -> Behaviour:
    """A burst pipe: the concentration jumps to `level` at `start_s`."""

    def report(t: float, rng: random.Random) -> Message:
        return _gas((level if t >= start_s else 2.0) + rng.gauss(0, 0.3))

    return report


def valve(close_at_s: float | None = None) -> Behaviour:
    def report(t: float, rng: random.Random) -> Message:
        closed = close_at_s is not None and t >= close_at_s
        return Message(Channel.TELEMETRY, {"state": "closed" if closed else "open"})

    return report


def elevator(trapped_at_s: float | None = None, event_rate: float = 0.002) -> Behaviour:
    """A car going up and down; now and then an e-bike; `trapped` once at `trapped_at_s`."""
    fired: list[bool] = []

    def report(t: float, rng: random.Random) -> Message:
        if trapped_at_s is not None and t >= trapped_at_s and not fired:
            fired.append(True)
            return Message(Channel.EVENT, {"event": "trapped"})
        if rng.random() < event_rate:
            return Message(Channel.EVENT, {"event": "ebike_detected"})
        floor = round(10 + 9 * math.sin(t / 20))
        moving = rng.random() < 0.6
        body = {"floor": floor, "moving": moving, "door_open": not moving, "load_pct": 30.0}
        return Message(Channel.TELEMETRY, body)

    return report


def electrical_fire(overheat_at_s: float | None = None) -> Behaviour:
    """Residual current and cable temperature; the cable overheats from `overheat_at_s`."""

    def report(t: float, rng: random.Random) -> Message:
        hot = overheat_at_s is not None and t >= overheat_at_s
        temperature = (85.0 if hot else 35.0) + rng.gauss(0, 0.5)
        residual = max(0.0, 40.0 + rng.gauss(0, 3))
        body = {"residual_current_ma": round(residual, 1), "temperature_c": round(temperature, 1)}
        return Message(Channel.TELEMETRY, body)

    return report


def fire_panel(alarm_at_s: float | None = None) -> Behaviour:
    fired: list[bool] = []

    def report(t: float, rng: random.Random) -> Message:
        if alarm_at_s is not None and t >= alarm_at_s and not fired:
            fired.append(True)
            return Message(Channel.EVENT, {"event": "fire_alarm"})
        return Message(Channel.HEARTBEAT, {})

    return report


def with_heartbeats(behaviour: Behaviour) -> Behaviour:
    """Every `_HEARTBEAT_EVERY`-th report is a heartbeat instead of a value."""
    count = [0]

    def report(t: float, rng: random.Random) -> Message:
        count[0] += 1
        if count[0] % _HEARTBEAT_EVERY == 0:
            return Message(Channel.HEARTBEAT, {})
        return behaviour(t, rng)

    return report


def _gas(value: float) -> Message:
    return Message(Channel.TELEMETRY, {"concentration": round(max(0.0, value), 2), "unit": "%LEL"})


DEFAULTS: dict[Family, Callable[[], Behaviour]] = {
    Family.GAS: gas_noise,
    Family.SHUTOFF: valve,
    Family.ELEVATOR: elevator,
    Family.FIRE: electrical_fire,
}
