"""Which storage mode is active: TimescaleDB when the extension is installed, else plain PostgreSQL.

Both modes expose the same relations (`readings`, `readings_1m`, `readings_1h`, `readings_1d`),
so queries do not care; only the writer (who maintains rollups in plain mode) asks.
"""

from __future__ import annotations

from typing import Literal

import psycopg

from storage.datastore import Datastore

Mode = Literal["timescaledb", "postgresql"]
MODES: tuple[Mode, ...] = ("timescaledb", "postgresql")

# The numeric signals that get their own column and rollups (DESIGN section 4).
SIGNALS: tuple[str, ...] = ("concentration", "residual_current_ma", "temperature_c")


def detect(conn: psycopg.Connection) -> Mode:
    row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone()
    return "timescaledb" if row else "postgresql"


def mode(datastore: Datastore) -> Mode:
    """The active mode of the database behind `datastore`."""
    with datastore.transaction() as conn:
        return detect(conn)
