"""Versioned schema migrations: `NNNN_name.sql` or `NNNN_name.py`, applied once each, in order.

A `.py` migration defines `apply(conn: psycopg.Connection) -> None`; it exists for steps that
depend on whether TimescaleDB is present. Each migration runs in its own transaction together
with its row in `schema_migrations`, so a failure leaves no half-applied migration behind.
A session advisory lock serialises concurrent migrators (two services starting at once).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import psycopg

from storage.datastore import Datastore
from storage.errors import MigrationFailed

HERE = Path(__file__).parent
# Arbitrary but fixed: every hazardwatch migrator takes the same lock.
LOCK_KEY = 0x68617A6D  # "hazm"


def available() -> list[Path]:
    """The migration files, in the order they apply (by their NNNN prefix)."""
    files = [p for p in HERE.iterdir() if p.suffix in {".sql", ".py"} and p.stem[:4].isdigit()]
    return sorted(files, key=lambda p: p.stem)


def migrate(datastore: Datastore) -> list[str]:
    """Apply the migrations not yet applied; return their names (empty when up to date)."""
    applied: list[str] = []
    with psycopg.connect(datastore.url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
            for path in available():
                if path.stem not in done:
                    _apply(conn, path)
                    applied.append(path.stem)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return applied


def _apply(conn: psycopg.Connection, path: Path) -> None:
    try:
        with conn.transaction():
            if path.suffix == ".sql":
                conn.execute(path.read_text(encoding="utf-8").encode())
            else:
                module = importlib.import_module(f"{__name__}.{path.stem}")
                module.apply(conn)
            conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (path.stem,))
    except psycopg.Error as exc:
        raise MigrationFailed(path.stem) from exc
