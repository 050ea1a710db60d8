"""The registry in PostgreSQL: import a validated file, load it, watch its version.

A file speaks for the enterprises it names (storage/registry_changes.py works out what it
changes); every change is written together with its audit rows (storage/registry_audit.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from schemas.registry import DeviceRecord, EnterpriseRecord, Registry, Thresholds
from storage import registry_audit as audit
from storage.datastore import Datastore
from storage.registry_changes import (
    Change,
    ForeignDevicesListed,
    ImportPlan,
    OpenAlarm,
    OpenAlarmsBlockRemoval,
    Stored,
    plan,
)

_ENTERPRISE_COLUMNS = "id, name, division, industry"
_DEVICE_COLUMNS = (
    "id, enterprise_id, family, type, substance, location, interlock, gateway,"
    " report_interval_s, offline_after_s, thresholds"
)


@dataclass(frozen=True)
class ImportSummary:
    plan: ImportPlan
    version: int

    @property
    def changed(self) -> bool:
        return bool(self.plan.changes)

    def count(self, kind: str, action: str) -> int:
        return sum(1 for c in self.plan.changes if c.kind == kind and c.action == action)


class RegistryRepository:
    def __init__(self, datastore: Datastore) -> None:
        self.datastore = datastore

    def plan_import(self, registry: Registry, password_hashes: Mapping[str, str]) -> ImportPlan:
        """What `import_registry` would change, with the open alarms of the devices it would
        remove; writes nothing (the dry run)."""
        with self.datastore.transaction() as conn:
            found = plan(_stored(conn), registry, password_hashes)
            return replace(found, open_alarms=_open_alarms(conn, found.removed_devices))

    def import_registry(
        self,
        registry: Registry,
        password_hashes: Mapping[str, str],
        *,
        actor: str,
        force: bool = False,
    ) -> ImportSummary:
        """Make the enterprises `registry` names, and their devices, equal to it, in one
        transaction, and record every change in the audit as `actor`'s.

        Devices of enterprises the file does not name are untouched; a file listing one of
        them is refused (ForeignDevicesListed). Removing a device with an open alarm is
        refused (OpenAlarmsBlockRemoval) unless `force`. Nothing equal is rewritten and the
        version moves only when something changed, so re-importing the same file is a no-op.
        """
        return self.datastore.run(
            lambda conn: _import(conn, lambda _stored: registry, password_hashes, actor, force)
        )

    def edit_enterprise(
        self,
        enterprise_id: str,
        edit: Callable[[Registry], Registry],
        *,
        actor: str,
        force: bool = False,
    ) -> ImportSummary:
        """The self-service API's change: `edit` gets the enterprise's part of the registry
        (as `part` gives it) and returns the part it wants, which is then imported exactly as
        a file naming only that enterprise would be (the same checks, audit and NOTIFY).

        The part is read under the import's lock, in the same transaction, so two changes to
        one enterprise's devices at once cannot drop each other's device.
        Raises KeyError for an unknown enterprise.
        """

        def wanted(stored: Stored) -> Registry:
            return edit(_part(stored, enterprise_id))

        return self.datastore.run(lambda conn: _import(conn, wanted, {}, actor, force))

    def part(self, enterprise_id: str) -> Registry:
        """One enterprise and its devices, as a registry file naming only it would list them
        (never a password); KeyError for an unknown enterprise."""
        with self.datastore.transaction() as conn:
            return _part(_stored(conn, enterprise_id), enterprise_id)

    def replace_all(self, registry: Registry, password_hashes: Mapping[str, str]) -> ImportSummary:
        """`import_registry` as fixtures and benchmarks seed a registry: actor "system",
        forced. Despite the old name, other enterprises' devices are kept."""
        return self.import_registry(registry, password_hashes, actor="system", force=True)

    def password_hashes(self) -> dict[str, str]:
        with self.datastore.transaction() as conn:
            rows = conn.execute(
                "SELECT id, mqtt_password_hash FROM enterprises"
                " WHERE mqtt_password_hash IS NOT NULL"
            ).fetchall()
        return {r[0]: r[1] for r in rows}

    def load(self) -> Registry:
        with self.datastore.transaction() as conn:
            enterprises = conn.execute(
                f"SELECT {_ENTERPRISE_COLUMNS} FROM enterprises ORDER BY id"
            ).fetchall()
            devices = conn.execute(f"SELECT {_DEVICE_COLUMNS} FROM devices ORDER BY id").fetchall()
        return Registry(
            enterprises=tuple(
                EnterpriseRecord(id=r[0], name=r[1], division=r[2], industry=r[3])
                for r in enterprises
            ),
            devices=tuple(_device(r) for r in devices),
        )

    def device(self, device_id: str) -> tuple[DeviceRecord, str] | None:
        """One device and its enterprise's division (what a scope check needs)."""
        with self.datastore.transaction() as conn:
            row = conn.execute(
                f"SELECT {_DEVICE_COLUMNS}, (SELECT division FROM enterprises e"
                " WHERE e.id = devices.enterprise_id) FROM devices WHERE id = %s",
                (device_id,),
            ).fetchone()
        return None if row is None else (_device(row), row[11])

    def version(self) -> int:
        with self.datastore.transaction() as conn:
            row = conn.execute("SELECT version FROM registry_version").fetchone()
        return int(row[0]) if row else 0


def _import(
    conn: psycopg.Connection,
    registry_of: Callable[[Stored], Registry],
    hashes: Mapping[str, str],
    actor: str,
    force: bool,
) -> ImportSummary:
    # Two imports at once must not both plan from the same stored state.
    conn.execute("LOCK TABLE enterprises, devices IN SHARE ROW EXCLUSIVE MODE")
    stored = _stored(conn)
    found = plan(stored, registry_of(stored), hashes)
    if found.foreign:
        raise ForeignDevicesListed(found.foreign)
    alarms = _open_alarms(conn, found.removed_devices)
    if alarms and not force:
        raise OpenAlarmsBlockRemoval(alarms)
    found = replace(found, open_alarms=alarms)
    if found.changes:
        _write(conn, found.changes, hashes)
        conn.execute("UPDATE registry_version SET version = version + 1")
    row = conn.execute("SELECT version FROM registry_version").fetchone()
    version = int(row[0]) if row else 0
    # The audit says when a detector went while its alarm was open (DOMAIN: tampering).
    note = "forced past open alarms " + ", ".join(a.alarm_id for a in alarms) if alarms else None
    audit.append(conn, found.changes, actor=actor, version=version, note=note)
    return ImportSummary(found, version)


def _device(r: Sequence[Any]) -> DeviceRecord:
    return DeviceRecord(
        id=r[0],
        enterprise=r[1],
        family=r[2],
        type=r[3],
        substance=r[4],
        location=r[5],
        interlock=r[6],
        gateway=r[7],
        report_interval_s=r[8],
        offline_after_s=r[9],
        thresholds=Thresholds.model_validate(r[10]) if r[10] else None,
    )


def _part(stored: Stored, enterprise_id: str) -> Registry:
    enterprise = stored.enterprises[enterprise_id]
    return Registry(
        enterprises=(EnterpriseRecord.model_validate(enterprise),),
        devices=tuple(
            DeviceRecord.model_validate(d)
            for _, d in sorted(stored.devices.items())
            if d["enterprise"] == enterprise_id
        ),
    )


def _stored(conn: psycopg.Connection, enterprise_id: str | None = None) -> Stored:
    """The stored registry, or only one enterprise and its devices."""
    only = "" if enterprise_id is None else " WHERE id = %(e)s"
    params = None if enterprise_id is None else {"e": enterprise_id}
    enterprises: dict[str, dict[str, Any]] = {}
    hashes: dict[str, str] = {}
    for r in conn.execute(
        f"SELECT {_ENTERPRISE_COLUMNS}, mqtt_password_hash FROM enterprises{only}", params
    ):
        enterprises[r[0]] = {"id": r[0], "name": r[1], "division": r[2], "industry": r[3]}
        if r[4] is not None:
            hashes[r[0]] = r[4]
    devices: dict[str, dict[str, Any]] = {}
    only = "" if enterprise_id is None else " WHERE enterprise_id = %(e)s"
    for r in conn.execute(f"SELECT {_DEVICE_COLUMNS} FROM devices{only}", params):
        devices[r[0]] = {
            "id": r[0],
            "enterprise": r[1],
            "family": r[2],
            "type": r[3],
            "substance": r[4],
            "location": r[5],
            "interlock": r[6],
            "gateway": r[7],
            "report_interval_s": float(r[8]),
            "offline_after_s": None if r[9] is None else float(r[9]),
            "thresholds": r[10],
        }
    return Stored(enterprises, devices, hashes)


def _open_alarms(conn: psycopg.Connection, devices: list[str]) -> tuple[OpenAlarm, ...]:
    if not devices:
        return ()
    rows = conn.execute(
        "SELECT alarm_id, device_id, condition, severity FROM alarms"
        " WHERE device_id = ANY(%s) AND state <> 'closed' ORDER BY device_id, raised_at",
        (devices,),
    ).fetchall()
    return tuple(OpenAlarm(*r) for r in rows)


def _write(
    conn: psycopg.Connection, changes: tuple[Change, ...], hashes: Mapping[str, str]
) -> None:
    # Enterprises first: a new device refers to its (possibly new) enterprise.
    for c in changes:
        if c.kind == "enterprise" and c.after is not None:
            e = c.after
            conn.execute(
                f"INSERT INTO enterprises ({_ENTERPRISE_COLUMNS}, mqtt_password_hash)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,"
                " division = EXCLUDED.division, industry = EXCLUDED.industry,"
                " mqtt_password_hash = COALESCE(EXCLUDED.mqtt_password_hash,"
                " enterprises.mqtt_password_hash), updated_at = now()",
                (e["id"], e["name"], e["division"], e["industry"], hashes.get(c.id)),
            )
    for c in changes:
        if c.kind == "device" and c.after is not None:
            conn.execute(
                f"INSERT INTO devices ({_DEVICE_COLUMNS}) VALUES"
                " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE"
                " SET enterprise_id = EXCLUDED.enterprise_id, family = EXCLUDED.family,"
                " type = EXCLUDED.type, substance = EXCLUDED.substance,"
                " location = EXCLUDED.location, interlock = EXCLUDED.interlock,"
                " gateway = EXCLUDED.gateway, report_interval_s = EXCLUDED.report_interval_s,"
                " offline_after_s = EXCLUDED.offline_after_s, thresholds = EXCLUDED.thresholds,"
                " updated_at = now()",
                _device_row(c.after),
            )
    removed = [c.id for c in changes if c.kind == "device" and c.action == "removed"]
    if removed:
        conn.execute("DELETE FROM devices WHERE id = ANY(%s)", (removed,))


def _device_row(d: Mapping[str, Any]) -> tuple[object, ...]:
    thresholds = None if d["thresholds"] is None else Jsonb(d["thresholds"])
    return (
        d["id"],
        d["enterprise"],
        d["family"],
        d["type"],
        d["substance"],
        d["location"],
        d["interlock"],
        d["gateway"],
        d["report_interval_s"],
        d["offline_after_s"],
        thresholds,
    )
