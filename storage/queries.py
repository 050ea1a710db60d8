"""Read queries for the alerts API: readings, alarm history, one alarm, device status, uptime.

Every function takes the caller's scope explicitly (a division prefix, optionally families) and
returns frozen models, so the API can hand them out without touching SQL or rows.
Registry-dependent queries (device lists, jurisdiction uptime) join `devices`/`enterprises`
(storage/registry.py): `devices(id, enterprise_id, family)`, `enterprises(id, division)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from storage.datastore import Datastore
from storage.mode import SIGNALS

Bucket = Literal["1m", "1h", "1d"]
AlarmStateFilter = Literal["open", "closed", "all"]
ROLLUPS: dict[Bucket, str] = {"1m": "readings_1m", "1h": "readings_1h", "1d": "readings_1d"}


@dataclass(frozen=True)
class RawReading:
    ts: datetime
    seq: int
    channel: str
    concentration: float | None
    residual_current_ma: float | None
    temperature_c: float | None
    state: str | None
    event: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class SignalStats:
    min: float
    avg: float
    max: float
    count: int


@dataclass(frozen=True)
class ReadingBucket:
    bucket: datetime
    count: int
    signals: dict[str, SignalStats]  # only the signals that had values in the bucket


def pick_bucket(start: datetime, end: datetime) -> Bucket | None:
    """The coarsest useful resolution for a chart of [start, end): None means raw rows.

    Aims at a few hundred to a few thousand points: raw up to 2 h, minutes up to 2 days,
    hours up to 90 days, days beyond.
    """
    span = end - start
    if span <= timedelta(hours=2):
        return None
    if span <= timedelta(days=2):
        return "1m"
    if span <= timedelta(days=90):
        return "1h"
    return "1d"


def raw_readings(
    store: Datastore, device_id: str, start: datetime, end: datetime, limit: int = 10_000
) -> list[RawReading]:
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT ts, seq, channel, concentration, residual_current_ma, temperature_c,"
            " state, event, payload FROM readings"
            " WHERE device_id = %s AND ts >= %s AND ts < %s ORDER BY ts LIMIT %s",
            (device_id, start, end, limit),
        ).fetchall()
    return [RawReading(*row) for row in rows]


def bucketed_readings(
    store: Datastore, device_id: str, start: datetime, end: datetime, bucket: Bucket
) -> list[ReadingBucket]:
    """min/avg/max/count per bucket from the rollup (a continuous aggregate or a table)."""
    columns = ", ".join(f"{s}_min, {s}_max, {s}_sum, {s}_count" for s in SIGNALS)
    with store.transaction() as conn:
        rows = conn.execute(
            f"SELECT bucket, n, {columns} FROM {ROLLUPS[bucket]}"
            " WHERE device_id = %s AND bucket >= %s AND bucket < %s ORDER BY bucket",
            (device_id, start, end),
        ).fetchall()
    return [_bucket(row) for row in rows]


def _bucket(row: Sequence[Any]) -> ReadingBucket:
    signals: dict[str, SignalStats] = {}
    for i, name in enumerate(SIGNALS):
        lo, hi, total, count = row[2 + 4 * i : 6 + 4 * i]
        if count:
            signals[name] = SignalStats(min=lo, avg=total / count, max=hi, count=int(count))
    return ReadingBucket(bucket=row[0], count=int(row[1]), signals=signals)


@dataclass(frozen=True)
class AlarmFilter:
    division_prefix: str = ""
    families: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    state: AlarmStateFilter = "all"
    since: datetime | None = None
    until: datetime | None = None
    enterprise_id: str | None = None


@dataclass(frozen=True)
class AlarmSummary:
    alarm_id: str
    device_id: str
    enterprise_id: str
    division: str
    family: str
    condition: str
    severity: str
    state: str
    raised_at: datetime
    closed_at: datetime | None
    view: dict[str, Any]


@dataclass(frozen=True)
class AlarmPage:
    items: list[AlarmSummary]
    # Keyset of the last item: pass it back as `after` for the next (older) page.
    next_after: tuple[datetime, str] | None


def alarm_history(
    store: Datastore,
    flt: AlarmFilter,
    *,
    after: tuple[datetime, str] | None = None,
    limit: int = 50,
) -> AlarmPage:
    """Alarms in scope, newest first, one keyset page at a time."""
    where, params = _alarm_where(flt)
    if after is not None:
        where.append("(raised_at, alarm_id) < (%(after_ts)s, %(after_id)s)")
        params.update(after_ts=after[0], after_id=after[1])
    params["limit"] = limit
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT alarm_id, device_id, enterprise_id, division, family, condition, severity,"
            f" state, raised_at, closed_at, view FROM alarms WHERE {' AND '.join(where)}"
            " ORDER BY raised_at DESC, alarm_id DESC LIMIT %(limit)s",
            params,
        ).fetchall()
    items = [AlarmSummary(*row) for row in rows]
    last = items[-1] if len(items) == limit else None
    return AlarmPage(items, None if last is None else (last.raised_at, last.alarm_id))


def _alarm_where(flt: AlarmFilter) -> tuple[list[str], dict[str, Any]]:
    where = ["division LIKE %(prefix)s"]
    params: dict[str, Any] = {"prefix": _like_prefix(flt.division_prefix)}
    if flt.families:
        where.append("family = ANY(%(families)s)")
        params["families"] = list(flt.families)
    if flt.severities:
        where.append("severity = ANY(%(severities)s)")
        params["severities"] = list(flt.severities)
    if flt.state == "open":
        where.append("state <> 'closed'")
    elif flt.state == "closed":
        where.append("state = 'closed'")
    if flt.since is not None:
        where.append("raised_at >= %(since)s")
        params["since"] = flt.since
    if flt.until is not None:
        where.append("raised_at < %(until)s")
        params["until"] = flt.until
    if flt.enterprise_id is not None:
        where.append("enterprise_id = %(enterprise)s")
        params["enterprise"] = flt.enterprise_id
    return where, params


def _like_prefix(prefix: str) -> str:
    if not prefix.isdigit() and prefix:
        raise ValueError(f"a division prefix is digits only, got {prefix!r}")
    return prefix + "%"


@dataclass(frozen=True)
class AlarmDetail:
    alarm: AlarmSummary
    events: list[dict[str, Any]]  # the full history, in seq order (event JSON bodies)


def alarm_detail(
    store: Datastore, alarm_id: str, division_prefix: str = "", families: Sequence[str] = ()
) -> AlarmDetail | None:
    """One alarm with its history; None when absent or outside the caller's scope."""
    where, params = _alarm_where(AlarmFilter(division_prefix, tuple(families)))
    params["alarm_id"] = alarm_id
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT alarm_id, device_id, enterprise_id, division, family, condition, severity,"
            " state, raised_at, closed_at, view FROM alarms WHERE alarm_id = %(alarm_id)s"
            f" AND {' AND '.join(where)}",
            params,
        ).fetchone()
        if row is None:
            return None
        events = conn.execute(
            "SELECT body FROM alarm_events WHERE alarm_id = %s ORDER BY seq, position",
            (alarm_id,),
        ).fetchall()
    return AlarmDetail(AlarmSummary(*row), [e[0] for e in events])


def command_outcome(
    store: Datastore, alarm_id: str, command_id: str
) -> tuple[str, str | None] | None:
    """The first event a command produced on its alarm: (type, rejection reason), or None
    while the stream worker has not decided it (or the sink not stored it) yet."""
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT type, body->>'reason' FROM alarm_events"
            " WHERE alarm_id = %s AND body->>'command_id' = %s ORDER BY position LIMIT 1",
            (alarm_id, command_id),
        ).fetchone()
    return None if row is None else (row[0], row[1])
