"""Which rules apply to a device: DOMAIN section 2 defaults, overridden per device.

A device the registry does not know still gets its family's defaults (the gateway already
checked ownership; detection must never go blind because a registry refresh is late).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from schemas.families import Family, Severity
from streams.rules.interlock import InterlockRule
from streams.rules.offline import OfflineRule, offline_after
from streams.rules.oxygen import OxygenRule
from streams.rules.tamper import TamperRule
from streams.rules.threshold import Level, ThresholdRule

# Occupational exposure limits (mg/m³, GBZ 2.1 PC-TWA, ≈ values to confirm per site).
EXPOSURE_LIMITS: dict[str, float] = {"H2S": 10.0, "CO": 20.0, "NH3": 20.0, "CL2": 1.0}
DEFAULT_EXPOSURE_LIMIT = 10.0


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """What the registry says about a device (the streams view of a DeviceRecord)."""

    device_id: str
    enterprise_id: str
    family: Family
    type: str | None = None
    substance: str | None = None
    interlock: str | None = None
    report_interval_s: float | None = None
    offline_after_s: float | None = None
    thresholds: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeviceProfile:
    """The rules for one device; `thresholds` maps a payload field to its rule."""

    thresholds: Mapping[str, ThresholdRule]
    oxygen: OxygenRule | None
    offline: OfflineRule
    tamper: TamperRule
    interlock_valve: str | None
    interlock: InterlockRule


def profile_for(family: Family, spec: DeviceSpec | None) -> DeviceProfile:
    kind = spec.type if spec is not None and spec.type else _default_type(family)
    overrides = dict(spec.thresholds) if spec is not None else {}
    thresholds: dict[str, ThresholdRule] = {}
    oxygen: OxygenRule | None = None
    if family == Family.GAS and kind == "oxygen":
        oxygen = OxygenRule(
            low=overrides.get("low", 19.5), high=overrides.get("high", 23.5)
        )
    elif family == Family.GAS:
        thresholds["concentration"] = _gas_rule(kind, spec, overrides)
    elif family == Family.FIRE:
        thresholds["residual_current_ma"] = _single(
            "residual_current", overrides.get("residual_current_ma", 300.0), overrides
        )
        thresholds["temperature_c"] = _single(
            "cable_temperature", overrides.get("temperature_c", 70.0), overrides
        )
    interval = spec.report_interval_s if spec is not None else None
    override = spec.offline_after_s if spec is not None else None
    return DeviceProfile(
        thresholds=thresholds,
        oxygen=oxygen,
        offline=OfflineRule(offline_after_s=offline_after(interval, override)),
        tamper=TamperRule(flatline_after_s=overrides.get("flatline_after_s", 3600.0)),
        interlock_valve=spec.interlock if spec is not None else None,
        interlock=InterlockRule(interlock_s=overrides.get("interlock_s", 10.0)),
    )


def _default_type(family: Family) -> str:
    return {Family.GAS: "combustible", Family.SHUTOFF: "valve", Family.ELEVATOR: "car"}.get(
        family, "panel"
    )


def _gas_rule(kind: str, spec: DeviceSpec | None, overrides: Mapping[str, float]) -> ThresholdRule:
    if kind == "toxic":
        substance = (spec.substance or "").upper() if spec is not None else ""
        limit = EXPOSURE_LIMITS.get(substance, DEFAULT_EXPOSURE_LIMIT)
        level1, level2 = limit, 2 * limit
    else:
        level1, level2 = 25.0, 50.0
    first = Level(
        Severity.ORANGE,
        overrides.get("level1", level1),
        overrides.get("raise_after_s_level1", 0.0),
    )
    second = Level(
        Severity.RED, overrides.get("level2", level2), overrides.get("raise_after_s", 5.0)
    )
    return ThresholdRule(
        "gas_level",
        (first, second),
        hysteresis=overrides.get("hysteresis", 0.1),
        clear_after_s=overrides.get("clear_after_s", 30.0),
    )


def _single(condition: str, threshold: float, overrides: Mapping[str, float]) -> ThresholdRule:
    return ThresholdRule(
        condition,
        (Level(Severity.ORANGE, threshold, overrides.get("raise_after_s_level1", 0.0)),),
        hysteresis=overrides.get("hysteresis", 0.1),
        clear_after_s=overrides.get("clear_after_s", 30.0),
    )
