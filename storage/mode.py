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


def stop_job_scheduler(conn: psycopg.Connection) -> bool:
    """TimescaleDB: stop the job scheduler of `conn`'s database; return whether there was one.

    For throw-away databases (a test's, a benchmark's) whose jobs, when they matter, are run
    by hand with `CALL run_job`: their scheduler would otherwise hold a background worker for
    the database's life and start every policy job at once when the migrations create them,
    competing for the server's worker slots with the databases that need them (and, in a
    benchmark, compressing chunks in the middle of a measurement). The launcher keeps it
    stopped (not transactional: at once, whatever becomes of the caller's transaction) until
    the server restarts or the extension is re-created.
    """
    if detect(conn) != "timescaledb":
        return False
    conn.execute("SELECT _timescaledb_functions.stop_background_workers()")
    return True
