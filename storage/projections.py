"""Persisted read models: the `alarms`, `device_status` and `device_offline_intervals` projections.

storage/ does not import streams/, so views arrive here as plain dicts (a pydantic view's
`model_dump(mode="json")`); the whole view is kept in a `view` JSONB column beside the columns
queries filter on, and `load_*` give back exactly the dict that was stored. The sink folds
(streams.projections) and calls `save_*` in the transaction that appended the events, so a
projection row never runs ahead of or behind its log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import psycopg

from storage.datastore import Datastore

View = Mapping[str, Any]

ALARM_COLUMNS = (
    "alarm_id", "device_id", "enterprise_id", "division", "family", "condition", "severity",
    "state", "cleared", "supervised", "suppressed", "escalation_level", "raised_at",
    "acknowledged_at", "dispatched_at", "resolved_at", "closed_at", "cause", "assignee",
    "last_seq", "updated_at", "supervision_due_at", "follows_alarm_id",
)  # fmt: skip
DEVICE_COLUMNS = (
    "device_id", "online", "since", "last_offline_at", "offline_episodes", "episode_id",
    "updated_at",
)  # fmt: skip
# An interval's key column predates presence episodes: it holds the episode id.
_SAVE_INTERVAL = (
    "INSERT INTO device_offline_intervals (alarm_id, device_id, started_at, ended_at)"
    " VALUES (%s, %s, %s, %s)"
)


def _upsert_sql(table: str, key: str, columns: Sequence[str]) -> str:
    names = [*columns, "view"]
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in names if c != key)
    return (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
        f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


_SAVE_ALARM = _upsert_sql("alarms", "alarm_id", ALARM_COLUMNS)
_SAVE_DEVICE = _upsert_sql("device_status", "device_id", DEVICE_COLUMNS)


def save_alarm(conn: psycopg.Connection, view: View) -> None:
    conn.execute(_SAVE_ALARM, [*(view.get(c) for c in ALARM_COLUMNS), json.dumps(view)])


def save_device(conn: psycopg.Connection, view: View) -> None:
    conn.execute(_SAVE_DEVICE, [*(view.get(c) for c in DEVICE_COLUMNS), json.dumps(view)])


def alarm_views(conn: psycopg.Connection, alarm_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        "SELECT alarm_id, view FROM alarms WHERE alarm_id = ANY(%s)", (list(alarm_ids),)
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def device_views(conn: psycopg.Connection, device_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        "SELECT device_id, view FROM device_status WHERE device_id = ANY(%s)",
        (list(device_ids),),
    ).fetchall()
    return {r[0]: r[1] for r in rows}


class ProjectionStore:
    """Whole-projection access for `./run replay` and for services that warm a cache."""

    def __init__(self, datastore: Datastore) -> None:
        self.datastore = datastore

    def load_alarms(self) -> list[dict[str, Any]]:
        with self.datastore.transaction() as conn:
            return [r[0] for r in conn.execute("SELECT view FROM alarms ORDER BY alarm_id")]

    def load_device_status(self) -> list[dict[str, Any]]:
        with self.datastore.transaction() as conn:
            rows = conn.execute("SELECT view FROM device_status ORDER BY device_id")
            return [r[0] for r in rows]

    def load_offline_intervals(self) -> list[dict[str, Any]]:
        """The fields of `streams.projections.OfflineInterval`, one dict per episode."""
        with self.datastore.transaction() as conn:
            rows = conn.execute(
                "SELECT alarm_id, device_id, started_at, ended_at FROM device_offline_intervals"
                " ORDER BY alarm_id"
            ).fetchall()
        return [
            {
                "episode_id": episode, "device_id": device, "started_at": started,
                "ended_at": ended,
            }
            for episode, device, started, ended in rows
        ]

    def rebuild(
        self,
        alarms: Iterable[View],
        devices: Iterable[View],
        intervals: Iterable[View] | None = None,
    ) -> None:
        """Replace the projections with the given views in one transaction (the offline
        intervals only when given). Readers see either the old or the new state, never a mix.
        """
        with self.datastore.transaction() as conn:
            conn.execute("DELETE FROM alarms")
            conn.execute("DELETE FROM device_status")
            for alarm in alarms:
                save_alarm(conn, alarm)
            for device in devices:
                save_device(conn, device)
            if intervals is not None:
                conn.execute("DELETE FROM device_offline_intervals")
                for i in intervals:
                    conn.execute(
                        _SAVE_INTERVAL,
                        (i["episode_id"], i["device_id"], i["started_at"], i.get("ended_at")),
                    )
