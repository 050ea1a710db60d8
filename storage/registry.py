"""The registry in PostgreSQL: replace it from a validated file, load it, watch its version."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import psycopg

from schemas.registry import DeviceRecord, EnterpriseRecord, Registry, Thresholds
from storage.datastore import Datastore

_ENTERPRISE_COLUMNS = "id, name, division, industry"
_DEVICE_COLUMNS = (
    "id, enterprise_id, family, type, substance, location, interlock, gateway,"
    " report_interval_s, offline_after_s, thresholds"
)


@dataclass(frozen=True)
class ImportSummary:
    enterprises_added: int
    enterprises_changed: int
    devices_added: int
    devices_changed: int
    devices_removed: int
    version: int

    @property
    def changed(self) -> bool:
        return any(
            (
                self.enterprises_added,
                self.enterprises_changed,
                self.devices_added,
                self.devices_changed,
                self.devices_removed,
            )
        )


def _enterprise_row(e: EnterpriseRecord) -> tuple[object, ...]:
    return (e.id, e.name, e.division, e.industry.value)


def _device_row(d: DeviceRecord) -> tuple[object, ...]:
    thresholds = json.dumps(d.thresholds.as_overrides(), sort_keys=True) if d.thresholds else None
    return (
        d.id,
        d.enterprise,
        d.family.value,
        d.type,
        d.substance,
        d.location,
        d.interlock,
        d.gateway,
        d.report_interval_s,
        d.offline_after_s,
        thresholds,
    )


class RegistryRepository:
    def __init__(self, datastore: Datastore) -> None:
        self.datastore = datastore

    def replace_all(self, registry: Registry, password_hashes: Mapping[str, str]) -> ImportSummary:
        """Make the stored registry equal to `registry` in one transaction.

        Devices missing from the file are removed; enterprises are kept (their alarm history
        refers to them). Nothing that is equal is rewritten, and the version moves only when
        something changed, so re-importing the same file is a no-op.
        """
        return self.datastore.run(lambda conn: self._replace(conn, registry, password_hashes))

    def _replace(
        self, conn: psycopg.Connection, registry: Registry, hashes: Mapping[str, str]
    ) -> ImportSummary:
        conn.execute("LOCK TABLE enterprises, devices IN SHARE ROW EXCLUSIVE MODE")
        stored_e = {
            r[0]: (tuple(r[:4]), r[4])
            for r in conn.execute(
                f"SELECT {_ENTERPRISE_COLUMNS}, mqtt_password_hash FROM enterprises"
            )
        }
        stored_d = {
            r[0]: tuple(r)
            for r in conn.execute(
                f"SELECT {_DEVICE_COLUMNS.replace('thresholds', 'thresholds::text')} FROM devices"
            )
        }
        e_added = e_changed = d_added = d_changed = 0
        for ent in registry.enterprises:
            row = _enterprise_row(ent)
            new_hash = hashes.get(ent.id)
            old = stored_e.get(ent.id)
            if old is None:
                e_added += 1
            elif old[0] == row and (new_hash is None or new_hash == old[1]):
                continue
            else:
                e_changed += 1
            conn.execute(
                f"INSERT INTO enterprises ({_ENTERPRISE_COLUMNS}, mqtt_password_hash)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,"
                " division = EXCLUDED.division, industry = EXCLUDED.industry,"
                " mqtt_password_hash = COALESCE(EXCLUDED.mqtt_password_hash,"
                " enterprises.mqtt_password_hash), updated_at = now()",
                (*row, new_hash),
            )
        wanted = {d.id for d in registry.devices}
        for dev in registry.devices:
            row = _device_row(dev)
            old_d = stored_d.get(dev.id)
            if old_d is not None and _same_device(old_d, row):
                continue
            d_added += old_d is None
            d_changed += old_d is not None
            conn.execute(
                f"INSERT INTO devices ({_DEVICE_COLUMNS}) VALUES"
                " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb) ON CONFLICT (id) DO UPDATE"
                " SET enterprise_id = EXCLUDED.enterprise_id, family = EXCLUDED.family,"
                " type = EXCLUDED.type, substance = EXCLUDED.substance,"
                " location = EXCLUDED.location, interlock = EXCLUDED.interlock,"
                " gateway = EXCLUDED.gateway, report_interval_s = EXCLUDED.report_interval_s,"
                " offline_after_s = EXCLUDED.offline_after_s, thresholds = EXCLUDED.thresholds,"
                " updated_at = now()",
                row,
            )
        removed = [d for d in stored_d if d not in wanted]
        if removed:
            conn.execute("DELETE FROM devices WHERE id = ANY(%s)", (removed,))
        summary_counts = (e_added, e_changed, d_added, d_changed, len(removed))
        if any(summary_counts):
            conn.execute("UPDATE registry_version SET version = version + 1")
        version = conn.execute("SELECT version FROM registry_version").fetchone()
        return ImportSummary(*summary_counts, version=int(version[0]) if version else 0)

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
            devices=tuple(
                DeviceRecord(
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
                for r in devices
            ),
        )

    def version(self) -> int:
        with self.datastore.transaction() as conn:
            row = conn.execute("SELECT version FROM registry_version").fetchone()
        return int(row[0]) if row else 0


def _same_device(stored: tuple[object, ...], row: tuple[object, ...]) -> bool:
    *head, stored_thresholds = stored
    *new_head, new_thresholds = row
    parsed_old = json.loads(str(stored_thresholds)) if stored_thresholds else None
    parsed_new = json.loads(str(new_thresholds)) if new_thresholds else None
    return tuple(head) == tuple(new_head) and parsed_old == parsed_new
