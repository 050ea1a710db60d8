"""What the gateway needs to know of the registry, indexed for one lookup per message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from schemas.families import Family
from schemas.registry import Registry


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    enterprise_id: str
    family: Family
    division: str
    gateway: str | None


@dataclass(frozen=True)
class RegistrySnapshot:
    devices: Mapping[str, DeviceInfo]
    version: int = 0

    @classmethod
    def of(cls, registry: Registry, version: int = 0) -> RegistrySnapshot:
        divisions = {e.id: e.division for e in registry.enterprises}
        return cls(
            {
                d.id: DeviceInfo(d.enterprise, d.family, divisions[d.enterprise], d.gateway)
                for d in registry.devices
                if d.enterprise in divisions
            },
            version,
        )
