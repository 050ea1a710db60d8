"""The servers the storage benchmark compares: one per mode, each mode checked, not assumed.

The migrations switch TimescaleDB on wherever the server can run it, so on a stack whose
PostgreSQL has the extension a "plain" database on that server would be a TimescaleDB one.
Plain PostgreSQL then runs on a server of its own, started for the run with the launcher's
code (deploy.stack.postgres, the same settings) from Debian's PostgreSQL 15 without the
extension preloaded, in a temporary folder on a free port, and removed after it.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg

from deploy.stack import postgres
from deploy.stack.config import StackConfig


def runs_timescaledb(server_url: str) -> bool:
    """Whether a database migrated on this server would be in TimescaleDB mode."""
    admin = server_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin) as conn:
        row = conn.execute(
            "SELECT current_setting('shared_preload_libraries') LIKE '%timescaledb%'"
            " AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')"
        ).fetchone()
    return bool(row and row[0])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def plain_server() -> Iterator[str]:
    """A plain PostgreSQL 15 for the run; yields the URL of its (migrated) database."""
    root = Path(tempfile.mkdtemp(prefix="hw-bench-pg-"))
    root.chmod(0o755)  # the server runs as `postgres` when we are root
    cfg = StackConfig(root=root, postgres_port=_free_port())
    try:
        postgres.up(cfg, timescaledb=False)
        yield cfg.database_url
    finally:
        postgres.down(cfg)
        shutil.rmtree(root, ignore_errors=True)
