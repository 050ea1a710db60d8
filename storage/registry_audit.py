"""The registry's append-only audit (migration 0006): write changes, read the history.

`append` takes the caller's connection so a change and its audit rows commit together; any
writer of the registry (the file import, the self-service API) goes through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from storage.datastore import Datastore
from storage.registry_changes import Change


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    change: Change
    version: int
    note: str | None


def append(
    conn: psycopg.Connection,
    changes: Iterable[Change],
    *,
    actor: str,
    version: int,
    note: str | None = None,
) -> None:
    rows = [
        (
            actor,
            c.action,
            c.kind,
            c.id,
            c.enterprise_id,
            None if c.before is None else Jsonb(c.before),
            None if c.after is None else Jsonb(c.after),
            version,
            note,
        )
        for c in changes
    ]
    if rows:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO registry_audit (actor, action, kind, id, enterprise_id, before,"
                " after, version, note) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )


def history(
    datastore: Datastore,
    *,
    enterprise: str | None = None,
    device: str | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Newest first. `enterprise` also finds the devices that moved away from it."""
    where: list[str] = []
    params: list[Any] = []
    if enterprise is not None:
        where.append("(enterprise_id = %s OR before->>'enterprise' = %s)")
        params += [enterprise, enterprise]
    if device is not None:
        where.append("(kind = 'device' AND id = %s)")
        params.append(device)
    sql = (
        "SELECT seq, at, actor, action, kind, id, enterprise_id, before, after, version, note"
        " FROM registry_audit"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY seq DESC LIMIT %s"
    )
    with datastore.transaction() as conn:
        rows = conn.execute(sql, (*params, limit)).fetchall()
    return [
        AuditEntry(
            seq=r[0],
            at=r[1],
            actor=r[2],
            change=Change(r[3], r[4], r[5], r[6], r[7], r[8]),
            version=r[9],
            note=r[10],
        )
        for r in rows
    ]
