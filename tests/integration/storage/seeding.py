"""Seeding a test database through the same code paths the sink uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from schemas.events import AlarmEvent, encode_event
from storage.datastore import Datastore
from storage.mode import mode
from storage.readings import copy_readings, row_from_envelope
from streams.sinks.batch import Outcome, store_events


@dataclass(frozen=True)
class FakeRecord:
    value: bytes
    topic: str = "hw.alarm-events.v1"
    partition: int = 0
    offset: int = 0


def store_alarm_events(store: Datastore, events: Iterable[AlarmEvent]) -> Outcome:
    out = Outcome()
    records = [FakeRecord(encode_event(e), offset=i) for i, e in enumerate(events)]
    with store.transaction() as conn:
        store_events(conn, records, out)
    return out


def store_readings(store: Datastore, envelopes: Sequence[dict[str, object]]) -> int:
    active = mode(store)
    with store.transaction() as conn:
        return copy_readings(conn, [row_from_envelope(e) for e in envelopes], active)


def register(
    store: Datastore, enterprises: dict[str, str], devices: dict[str, tuple[str, str]]
) -> None:
    """Registry rows (storage/migrations/0002_registry.sql) with placeholder details.

    enterprises: id -> division; devices: id -> (enterprise_id, family).
    """
    with store.transaction() as conn:
        for eid, division in enterprises.items():
            conn.execute(
                "INSERT INTO enterprises (id, name, division, industry)"
                " VALUES (%s, %s, %s, 'other')",
                (eid, eid, division),
            )
        for did, (eid, family) in devices.items():
            conn.execute(
                "INSERT INTO devices (id, enterprise_id, family, type, report_interval_s)"
                " VALUES (%s, %s, %s, 'test', 10)",
                (did, eid, family),
            )
