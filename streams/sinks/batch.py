"""Storing one polled batch of Kafka records in one database transaction.

Readings go through COPY + idempotent INSERT with bisection around poison rows; alarm events
are appended one by one (they are few) and folded into the projections right away, so the
events, the projection rows and the dead letters of a batch commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import orjson
import psycopg
from pydantic import ValidationError

from schemas.events import AlarmEvent, DeviceWentOffline, parse_event
from storage import dead_letters, events, projections
from storage.batches import POISON_ERRORS, store_bisecting
from storage.mode import Mode
from storage.readings import BadReading, ReadingRow, copy_readings, row_from_envelope
from streams.projections import AlarmView, DeviceStatusView, apply_alarm, apply_device


class Record(Protocol):
    """What the sink needs of a kafka-python ConsumerRecord."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def value(self) -> bytes: ...


@dataclass
class Outcome:
    """What a batch did; turned into metrics only after the commit succeeded."""

    written: dict[str, int] = field(default_factory=dict)
    dead: dict[str, int] = field(default_factory=dict)
    went_offline: list[DeviceWentOffline] = field(default_factory=list)
    # device_id -> (family, newest reading time in the batch), for the last-seen histogram.
    last_seen: dict[str, tuple[str, datetime]] = field(default_factory=dict)

    def add(self, counter: dict[str, int], table: str, n: int = 1) -> None:
        counter[table] = counter.get(table, 0) + n


def _dead(
    conn: psycopg.Connection, out: Outcome, table: str, rec: Record, reason: str, detail: str
) -> None:
    letter = dead_letters.DeadLetter(
        table, rec.topic, rec.partition, rec.offset, reason, detail, rec.value or b""
    )
    dead_letters.record(conn, letter)
    out.add(out.dead, table)


def store_readings(
    conn: psycopg.Connection, records: Sequence[Record], mode: Mode, out: Outcome
) -> None:
    decoded: list[tuple[Record, ReadingRow]] = []
    for rec in records:
        try:
            decoded.append((rec, row_from_envelope(_json_object(rec.value))))
        except (ValueError, BadReading) as exc:
            _dead(conn, out, "readings", rec, "bad_reading", str(exc))

    def write(c: psycopg.Connection, items: Sequence[tuple[Record, ReadingRow]]) -> int:
        return copy_readings(c, [row for _, row in items], mode)

    def poison(item: tuple[Record, ReadingRow], exc: Exception) -> None:
        _dead(conn, out, "readings", item[0], "sink_error", f"{type(exc).__name__}: {exc}")

    out.add(out.written, "readings", store_bisecting(conn, decoded, write, poison))
    for _, row in decoded:
        seen = out.last_seen.get(row.device_id)
        if seen is None or seen[1] < row.ts:
            out.last_seen[row.device_id] = (row.family, row.ts)


def _json_object(raw: bytes | None) -> dict[str, Any]:
    obj = orjson.loads(raw or b"")
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    return obj


def store_events(conn: psycopg.Connection, records: Sequence[Record], out: Outcome) -> None:
    for rec in records:
        try:
            event = parse_event(rec.value or b"")
        except (ValueError, ValidationError) as exc:
            _dead(conn, out, "alarm_events", rec, "bad_event", str(exc))
            continue
        try:
            with conn.transaction():
                new = events.append(conn, event)
        except POISON_ERRORS as exc:
            _dead(conn, out, "alarm_events", rec, "sink_error", f"{type(exc).__name__}: {exc}")
            continue
        if new:
            _fold(conn, event)
            out.add(out.written, "alarm_events")
            if isinstance(event, DeviceWentOffline):
                out.went_offline.append(event)


def _fold(conn: psycopg.Connection, event: AlarmEvent) -> None:
    stored = projections.alarm_views(conn, [event.alarm_id]).get(event.alarm_id)
    alarm = apply_alarm(None if stored is None else AlarmView.model_validate(stored), event)
    if alarm is not None:
        projections.save_alarm(conn, alarm.model_dump(mode="json"))
    stored_device = projections.device_views(conn, [event.device_id]).get(event.device_id)
    before = None if stored_device is None else DeviceStatusView.model_validate(stored_device)
    device = apply_device(before, event)
    if device is not None and device != before:
        projections.save_device(conn, device.model_dump(mode="json"))


def store_batch(
    conn: psycopg.Connection,
    records: Sequence[Record],
    *,
    readings_topic: str,
    events_topic: str,
    mode: Mode,
) -> Outcome:
    """Store every record of one poll; the caller commits (and only then the offsets)."""
    out = Outcome()
    store_readings(conn, [r for r in records if r.topic == readings_topic], mode, out)
    store_events(conn, [r for r in records if r.topic == events_topic], out)
    return out
