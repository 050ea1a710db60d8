"""Writing readings: COPY into a staging table, then one idempotent INSERT.

`(device_id, ts, seq)` is unique, so a batch written twice (a redelivery after a crash between
the database commit and the Kafka offset commit) inserts nothing the second time. In plain
PostgreSQL mode the same statement upserts the 1m/1h/1d rollups from the rows it actually
inserted, so rollups never count a duplicate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import psycopg

from storage.errors import StorageError
from storage.mode import SIGNALS, Mode

# Status messages (the retained Last Will) carry no seq; this one keeps them unique by ts.
STATUS_SEQ = -1

COLUMNS = (
    "device_id", "ts", "seq", "received_at", "family", "enterprise_id", "division", "channel",
    "concentration", "residual_current_ma", "temperature_c", "state", "event", "payload",
)  # fmt: skip


class BadReading(StorageError):
    """A reading envelope that cannot become a row."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReadingRow(NamedTuple):
    """One row of `readings`, its fields in COLUMNS order (a tuple: COPY writes it as it is)."""

    device_id: str
    ts: datetime
    seq: int
    received_at: datetime
    family: str
    enterprise_id: str
    division: str
    channel: str
    concentration: float | None
    residual_current_ma: float | None
    temperature_c: float | None
    state: str | None
    event: str | None
    payload: str  # JSON text

    def values(self) -> tuple[Any, ...]:
        return self


def row_from_envelope(envelope: Mapping[str, Any]) -> ReadingRow:
    """A row from a decoded `hw.readings.v1` value (schemas/envelope.py: ReadingEnvelope)."""
    try:
        payload = envelope.get("payload") or {}
        if not isinstance(payload, Mapping):
            raise BadReading("payload is not an object")
        channel = str(envelope["channel"])
        seq = envelope.get("seq")
        return ReadingRow(
            device_id=_text(envelope["device_id"]),
            ts=_time(envelope["ts"]),
            seq=STATUS_SEQ if seq is None and channel == "status" else int(seq),  # type: ignore[arg-type]
            received_at=_time(envelope["received_at"]),
            family=_text(envelope["family"]),
            enterprise_id=_text(envelope["enterprise_id"]),
            division=_text(envelope["division"]),
            channel=channel,
            concentration=_number(payload.get("concentration")),
            residual_current_ma=_number(payload.get("residual_current_ma")),
            temperature_c=_number(payload.get("temperature_c")),
            state=_optional_text(payload.get("state")),
            event=_optional_text(payload.get("event")),
            payload=json.dumps(payload, ensure_ascii=False),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadReading(f"{type(exc).__name__}: {exc}") from exc


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        parsed = datetime.fromtimestamp(value / 1000, UTC)
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("timestamp without a time zone")
    return parsed.astimezone(UTC)


def ensure_partitions(conn: psycopg.Connection, rows: Sequence[ReadingRow]) -> None:
    """Plain mode: create the monthly partitions the rows fall in (idempotent)."""
    months = {(r.ts.year, r.ts.month) for r in rows}
    for year, month in sorted(months):
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        name = f"readings_{year:04d}{month:02d}"
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF readings"
            f" FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )


def _rollup_sql() -> str:
    aggregates = ["count(*)"]
    updates = ["n = r.n + EXCLUDED.n"]
    for s in SIGNALS:
        aggregates += [f"min({s})", f"max({s})", f"sum({s})", f"count({s})"]
        updates += [
            f"{s}_min = LEAST(r.{s}_min, EXCLUDED.{s}_min)",
            f"{s}_max = GREATEST(r.{s}_max, EXCLUDED.{s}_max)",
            f"{s}_sum = COALESCE(r.{s}_sum, 0) + COALESCE(EXCLUDED.{s}_sum, 0)",
            f"{s}_count = r.{s}_count + EXCLUDED.{s}_count",
        ]
    ctes = []
    for table, unit in (("readings_1m", "minute"), ("readings_1h", "hour"), ("readings_1d", "day")):
        ctes.append(
            f"{table}_up AS (INSERT INTO {table} AS r"
            f" SELECT device_id, date_trunc('{unit}', ts, 'UTC'), {', '.join(aggregates)}"
            f" FROM ins GROUP BY 1, 2"
            f" ON CONFLICT (device_id, bucket) DO UPDATE SET {', '.join(updates)})"
        )
    return ", ".join(ctes)


# Binary COPY (about twice the rows/s of text COPY here: no text formatting of timestamps and
# floats) into a temporary table (never WAL-logged). `payload` is staged as text, already
# JSON, and cast once by the INSERT.
_STAGING_TYPES = (
    "text", "timestamptz", "int8", "timestamptz", "text", "text", "text", "text",
    "float8", "float8", "float8", "text", "text", "text",
)  # fmt: skip
_COPY_TYPES = list(_STAGING_TYPES)
_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS readings_staging ("
    + ", ".join(f"{c} {t}" for c, t in zip(COLUMNS, _STAGING_TYPES, strict=True))
    + ") ON COMMIT DELETE ROWS"
)
_COPY = f"COPY readings_staging ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_SELECTED = ", ".join("payload::jsonb" if c == "payload" else c for c in COLUMNS)
_INSERT = (
    f"INSERT INTO readings ({', '.join(COLUMNS)})"
    f" SELECT {_SELECTED} FROM readings_staging"
    " ON CONFLICT DO NOTHING RETURNING device_id, ts, " + ", ".join(SIGNALS)
)
INSERT_PLAIN = f"WITH ins AS ({_INSERT}), {_rollup_sql()} SELECT count(*) FROM ins"
INSERT_TIMESCALE = f"WITH ins AS ({_INSERT}) SELECT count(*) FROM ins"


def stage(conn: psycopg.Connection, rows: Sequence[ReadingRow]) -> None:
    """COPY `rows` into this session's (emptied) staging table."""
    conn.execute(_STAGING)
    conn.execute("TRUNCATE readings_staging")
    with conn.cursor() as cur, cur.copy(_COPY) as copy:
        copy.set_types(_COPY_TYPES)
        for row in rows:
            copy.write_row(row)


def copy_readings(conn: psycopg.Connection, rows: Sequence[ReadingRow], mode: Mode) -> int:
    """Store `rows` inside the caller's transaction; return how many were new.

    Raises psycopg errors for a batch with a bad row: the caller bisects (storage.batches).
    """
    if not rows:
        return 0
    if mode == "postgresql":
        ensure_partitions(conn, rows)
    stage(conn, rows)
    with conn.cursor() as cur:
        found = cur.execute(INSERT_PLAIN if mode == "postgresql" else INSERT_TIMESCALE).fetchone()
    return int(found[0]) if found else 0
