"""A fleet of simulated devices and the MQTT publications it owes at a given time.

Pure: no clock, no network. The caller passes `t` (seconds since the run began) and the wall
time for `ts`; `due(t, now_ms)` returns the topic/payload pairs to publish. Devices behind a field
gateway are gathered into one `batch` publication per gateway and tick.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ingest.simulator import behaviours as b
from schemas.families import Family
from schemas.registry import Registry

_FAMILY_TYPES = {
    Family.GAS: "combustible",
    Family.SHUTOFF: "valve",
    Family.ELEVATOR: "car",
    Family.FIRE: "electrical",
}
_PREFIX = {Family.GAS: "GD", Family.SHUTOFF: "SV", Family.ELEVATOR: "EL", Family.FIRE: "FE"}


@dataclass(frozen=True, slots=True)
class Publication:
    topic: str
    payload: bytes
    readings: int  # messages inside (1, or the batch size)
    enterprise_id: str


@dataclass
class SimDevice:
    id: str
    enterprise_id: str
    family: Family
    interval_s: float
    behaviour: b.Behaviour
    gateway: str | None = None
    seq: int = 0
    next_at: float = 0.0


@dataclass
class Fleet:
    devices: list[SimDevice]
    seed: int = 7
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        # Spread first reports over one interval so a fleet does not publish in lockstep.
        for device in self.devices:
            device.next_at = self._rng.uniform(0, device.interval_s)

    @classmethod
    def synthetic(
        cls,
        enterprise_id: str,
        count: int,
        interval_s: float,
        gateway_share: float = 0.0,
        seed: int = 7,
        families: Iterable[Family] = tuple(Family),
    ) -> Fleet:
        """`count` devices cycling through `families`; `gateway_share` of them behind `GW-1`."""
        kinds = list(families)
        behind = round(count * gateway_share)
        devices = [
            SimDevice(
                id=f"{_PREFIX[kinds[i % len(kinds)]]}-{enterprise_id}-{i:05d}",
                enterprise_id=enterprise_id,
                family=kinds[i % len(kinds)],
                interval_s=interval_s,
                behaviour=b.with_heartbeats(b.DEFAULTS[kinds[i % len(kinds)]]()),
                gateway="GW-1" if i < behind else None,
            )
            for i in range(count)
        ]
        return cls(devices, seed)

    @classmethod
    def from_registry(cls, registry: Registry, interval_s: float | None = None) -> Fleet:
        devices = [
            SimDevice(
                id=d.id,
                enterprise_id=d.enterprise,
                family=d.family,
                interval_s=interval_s or d.report_interval_s,
                behaviour=b.with_heartbeats(b.DEFAULTS[d.family]()),
                gateway=d.gateway,
            )
            for d in registry.devices
        ]
        return cls(devices)

    def first(self, family: Family) -> SimDevice | None:
        return next((d for d in self.devices if d.family is family), None)

    def due(self, t: float, now_ms: int) -> list[Publication]:
        """Everything owed at `t`; each device's next report is one interval later."""
        direct: list[Publication] = []
        batches: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for device in self.devices:
            if t < device.next_at:
                continue
            device.next_at += device.interval_s
            message = device.behaviour(t, self._rng)
            device.seq += 1
            body = {"ts": now_ms, "seq": device.seq, **message.body}
            if device.gateway is None:
                topic = f"hw/v1/{device.enterprise_id}/{device.id}/{message.channel.value}"
                direct.append(Publication(topic, _json(body), 1, device.enterprise_id))
            else:
                item = {"device_id": device.id, "channel": message.channel.value, **body}
                batches[(device.enterprise_id, device.gateway)].append(item)
        return direct + [
            Publication(f"hw/v1/{ent}/{gw}/batch", _json({"readings": chunk}), len(chunk), ent)
            for (ent, gw), items in batches.items()
            for chunk in _chunks(items, 500)
        ]


def _chunks(items: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _json(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _slow_leak(fleet: Fleet) -> None:
    if gas := fleet.first(Family.GAS):
        gas.behaviour = b.gas_slow_leak(start_s=5)


def _step_leak(fleet: Fleet) -> None:
    if gas := fleet.first(Family.GAS):
        gas.behaviour = b.gas_step_leak(start_s=5)
    # The valve that should close does not: an interlock failure to detect downstream.
    if valve := fleet.first(Family.SHUTOFF):
        valve.behaviour = b.valve(close_at_s=None)


def _trapped(fleet: Fleet) -> None:
    if car := fleet.first(Family.ELEVATOR):
        car.behaviour = b.elevator(trapped_at_s=5)


def _fire(fleet: Fleet) -> None:
    if device := fleet.first(Family.FIRE):
        device.behaviour = b.fire_panel(alarm_at_s=5)


def _cable_overheat(fleet: Fleet) -> None:
    if device := fleet.first(Family.FIRE):
        device.behaviour = b.electrical_fire(overheat_at_s=5)


SCENARIOS: dict[str, Callable[[Fleet], None]] = {
    "normal": lambda fleet: None,
    "slow_leak": _slow_leak,
    "step_leak": _step_leak,
    "trapped": _trapped,
    "fire": _fire,
    "cable_overheat": _cable_overheat,
}
