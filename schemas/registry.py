"""Registry records: enterprises and their devices (DESIGN section 11)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from schemas.families import Family, Industry

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]

# Valid `type` per family (DOMAIN section 2).
TYPES: dict[Family, frozenset[str]] = {
    Family.GAS: frozenset({"combustible", "toxic", "oxygen"}),
    Family.SHUTOFF: frozenset({"valve"}),
    Family.ELEVATOR: frozenset({"car"}),
    Family.FIRE: frozenset({"panel", "smoke", "heat", "electrical"}),
}


def _province_ok(division: str) -> bool:
    # Chinese province-level codes run 11..82; "00" parts below a set level are not valid for a
    # site, which is always a village/community (all 12 digits meaningful).
    return 11 <= int(division[:2]) <= 82 and division[2:4] != "00"


class Thresholds(BaseModel):
    """Per-device overrides of DOMAIN section 2's defaults; every field optional."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level1: float | None = None
    level2: float | None = None
    raise_after_s: float | None = Field(default=None, ge=0)
    raise_after_s_level1: float | None = Field(default=None, ge=0)
    clear_after_s: float | None = Field(default=None, ge=0)
    hysteresis: float | None = Field(default=None, ge=0, lt=1)
    flatline_after_s: float | None = Field(default=None, gt=0)
    interlock_s: float | None = Field(default=None, gt=0)
    low: float | None = None
    high: float | None = None
    residual_current_ma: float | None = Field(default=None, ge=20, le=1000)
    temperature_c: float | None = Field(default=None, ge=55, le=140)

    @model_validator(mode="after")
    def _levels_ordered(self) -> Thresholds:
        if self.level1 is not None and self.level2 is not None and self.level2 < self.level1:
            raise ValueError("level2 must not be below level1")
        return self

    def as_overrides(self) -> dict[str, float]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class EnterpriseRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    division: str = Field(pattern=r"^\d{12}$")
    industry: Industry
    mqtt_password: SecretStr | None = None

    @field_validator("division")
    @classmethod
    def _division(cls, value: str) -> str:
        if not _province_ok(value):
            raise ValueError(f"{value} is not an administrative division code (province 11-82)")
        return value


class DeviceRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Identifier
    enterprise: Identifier
    family: Family
    type: str
    substance: str | None = None
    location: str | None = None
    interlock: Identifier | None = None
    gateway: Identifier | None = None
    report_interval_s: float = Field(default=60, gt=0, le=86400)
    offline_after_s: float | None = Field(default=None, gt=0)
    thresholds: Thresholds | None = None

    @model_validator(mode="after")
    def _type_fits_family(self) -> DeviceRecord:
        if self.type not in TYPES[self.family]:
            allowed = "|".join(sorted(TYPES[self.family]))
            raise ValueError(f"type {self.type!r} is not a {self.family} type ({allowed})")
        if self.substance is not None and self.family is not Family.GAS:
            raise ValueError("substance applies to gas detectors only")
        if self.interlock is not None and self.family is not Family.GAS:
            raise ValueError("interlock applies to gas detectors only")
        return self

    @property
    def effective_offline_after_s(self) -> float:
        """DESIGN section 11: 3 x the reporting interval, at least 30 s, unless set."""
        if self.offline_after_s is not None:
            return self.offline_after_s
        return max(30.0, 3 * self.report_interval_s)


class Registry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    enterprises: tuple[EnterpriseRecord, ...] = ()
    devices: tuple[DeviceRecord, ...] = ()

    def cross_errors(self) -> list[tuple[str, int, str]]:
        """Errors between records: (section, index, reason). Empty when consistent."""
        errors: list[tuple[str, int, str]] = []
        seen: dict[str, int] = {}
        for i, ent in enumerate(self.enterprises):
            if ent.id in seen:
                errors.append(("enterprises", i, f"duplicate enterprise id {ent.id}"))
            seen.setdefault(ent.id, i)
        devices: dict[str, DeviceRecord] = {}
        for i, dev in enumerate(self.devices):
            if dev.id in devices:
                errors.append(("devices", i, f"duplicate device id {dev.id}"))
            devices.setdefault(dev.id, dev)
            if dev.enterprise not in seen:
                errors.append(("devices", i, f"unknown enterprise {dev.enterprise}"))
        for i, dev in enumerate(self.devices):
            if dev.interlock is None:
                continue
            valve = devices.get(dev.interlock)
            if valve is None or valve.family is not Family.SHUTOFF:
                errors.append(("devices", i, f"interlock {dev.interlock} is not a shutoff valve"))
            elif valve.enterprise != dev.enterprise:
                errors.append(("devices", i, f"interlock {dev.interlock} is another enterprise's"))
        return errors
