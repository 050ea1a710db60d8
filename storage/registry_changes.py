"""What a registry file changes, worked out before anything is written (pure, no I/O).

A file speaks for the enterprises it names: their devices that it no longer lists are removed,
devices of every other enterprise are left alone. Enterprises are never removed (their alarm
history refers to them). Records are compared as plain dicts shaped like the YAML of DESIGN
section 11, which is also what the audit keeps as `before`/`after`; the MQTT password hash is
never part of them (only whether it changed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from schemas.registry import DeviceRecord, EnterpriseRecord, Registry
from storage.errors import StorageError

Action = Literal["added", "changed", "removed"]
Kind = Literal["enterprise", "device"]
Record = dict[str, Any]


@dataclass(frozen=True)
class Change:
    action: Action
    kind: Kind
    id: str
    enterprise_id: str
    before: Record | None
    after: Record | None

    def fields(self) -> list[str]:
        """The fields that differ (for a change), in the record's order."""
        if self.before is None or self.after is None:
            return []
        keys = list(self.before) + [k for k in self.after if k not in self.before]
        return [k for k in keys if self.before.get(k) != self.after.get(k)]


@dataclass(frozen=True)
class OpenAlarm:
    alarm_id: str
    device_id: str
    condition: str
    severity: str

    def __str__(self) -> str:
        return f"{self.alarm_id} ({self.condition}, {self.severity})"


@dataclass(frozen=True)
class ForeignDevice:
    """A device the file lists that belongs to an enterprise the file does not name."""

    device_id: str
    owner: str
    claimed_by: str


@dataclass(frozen=True)
class Stored:
    """The registry as it is in the database."""

    enterprises: Mapping[str, Record]
    devices: Mapping[str, Record]
    password_hashes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportPlan:
    changes: tuple[Change, ...]
    foreign: tuple[ForeignDevice, ...] = ()
    open_alarms: tuple[OpenAlarm, ...] = ()

    @property
    def removed_devices(self) -> list[str]:
        return [c.id for c in self.changes if c.kind == "device" and c.action == "removed"]

    def by_enterprise(self) -> dict[str, list[Change]]:
        grouped: dict[str, list[Change]] = {}
        for change in self.changes:
            grouped.setdefault(change.enterprise_id, []).append(change)
        return grouped


class RegistryChangeRefused(StorageError):
    """The change was refused as a whole; nothing was written."""


class ForeignDevicesListed(RegistryChangeRefused):
    def __init__(self, foreign: tuple[ForeignDevice, ...]) -> None:
        listed = ", ".join(f"{f.device_id} (of {f.owner})" for f in foreign)
        super().__init__(
            f"the file lists devices of enterprises it does not name: {listed}; "
            "name their enterprise in the file too to move them"
        )
        self.foreign = foreign


class OpenAlarmsBlockRemoval(RegistryChangeRefused):
    def __init__(self, alarms: tuple[OpenAlarm, ...]) -> None:
        listed = ", ".join(f"{a.device_id}: {a}" for a in alarms)
        super().__init__(f"removing devices with open alarms needs force: {listed}")
        self.alarms = alarms


def enterprise_record(e: EnterpriseRecord) -> Record:
    return {"id": e.id, "name": e.name, "division": e.division, "industry": e.industry.value}


def device_record(d: DeviceRecord) -> Record:
    return {
        "id": d.id,
        "enterprise": d.enterprise,
        "family": d.family.value,
        "type": d.type,
        "substance": d.substance,
        "location": d.location,
        "interlock": d.interlock,
        "gateway": d.gateway,
        "report_interval_s": float(d.report_interval_s),
        "offline_after_s": None if d.offline_after_s is None else float(d.offline_after_s),
        "thresholds": d.thresholds.as_overrides() if d.thresholds else None,
    }


def plan(stored: Stored, registry: Registry, new_hashes: Mapping[str, str]) -> ImportPlan:
    """The changes that make the named enterprises and their devices equal to `registry`.

    `new_hashes` holds the password hashes to store (absent: keep the stored one), so a
    password change is an enterprise change although the hash never shows in the records.
    """
    changes: list[Change] = []
    named = {e.id for e in registry.enterprises}
    for ent in registry.enterprises:
        after = enterprise_record(ent)
        before = stored.enterprises.get(ent.id)
        new_hash = new_hashes.get(ent.id)
        if before is None:
            changes.append(Change("added", "enterprise", ent.id, ent.id, None, after))
            continue
        if new_hash and new_hash != stored.password_hashes.get(ent.id):
            after = {**after, "mqtt_password": "changed"}  # that it did, never the hash
        if before != after:
            changes.append(Change("changed", "enterprise", ent.id, ent.id, before, after))
    foreign: list[ForeignDevice] = []
    listed = set()
    for dev in registry.devices:
        listed.add(dev.id)
        after = device_record(dev)
        before = stored.devices.get(dev.id)
        if before is None:
            changes.append(Change("added", "device", dev.id, dev.enterprise, None, after))
        elif before["enterprise"] not in named:
            foreign.append(ForeignDevice(dev.id, before["enterprise"], dev.enterprise))
        elif before != after:
            changes.append(Change("changed", "device", dev.id, dev.enterprise, before, after))
    for device_id, before in sorted(stored.devices.items()):
        if before["enterprise"] in named and device_id not in listed:
            changes.append(
                Change("removed", "device", device_id, before["enterprise"], before, None)
            )
    return ImportPlan(tuple(changes), tuple(foreign))
