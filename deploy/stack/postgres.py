"""PostgreSQL 15 in its own cluster under .stack/pg (run as the `postgres` user when we are root),
with TimescaleDB when its extension is installed and plain PostgreSQL otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from deploy.stack import packages, process
from deploy.stack.config import StackConfig
from deploy.stack.errors import StackError

NAME = "postgres"

# Modest settings for a 2-core, shared machine; durability stays on (fsync, synchronous_commit):
# the sinks' exactly-once claim rests on a commit meaning what it says.
_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "300",
    "shared_buffers": "512MB",
    "work_mem": "16MB",
    "maintenance_work_mem": "256MB",
    "checkpoint_timeout": "15min",
    "max_wal_size": "4GB",
    "wal_compression": "on",
    "log_min_messages": "warning",
    "log_line_prefix": "%m [%p] %d ",
}

# TimescaleDB runs its jobs in background workers: one scheduler per database that has the
# extension, plus one worker per running job (compression, retention, three refreshes, ...),
# counted against timescaledb.max_background_workers (its docs: databases + concurrent jobs).
# Every one of them is also a PostgreSQL background worker, drawn from max_worker_processes,
# the pool parallel query draws from too, and the TimescaleDB launcher holds one slot for good.
# Left at PostgreSQL's 8 beside TimescaleDB's 16, the schedulers asked for slots that did not
# exist ("failed to start a background worker"), so the pool is sized as the sum, with two
# slots spare (e.g. a logical replication launcher).
TIMESCALE_WORKERS = 16
PARALLEL_WORKERS = 8  # PostgreSQL's default, stated so the sum below holds
_TIMESCALE_SETTINGS = {
    "shared_preload_libraries": "timescaledb",
    "timescaledb.telemetry_level": "off",
    "timescaledb.max_background_workers": str(TIMESCALE_WORKERS),
    "max_parallel_workers": str(PARALLEL_WORKERS),
    "max_worker_processes": str(TIMESCALE_WORKERS + PARALLEL_WORKERS + 1 + 2),
}


def _dir(cfg: StackConfig) -> Path:
    return cfg.service_dir("pg")


def _user() -> str | None:
    """Run as `postgres` when we are root (PostgreSQL refuses to run as root)."""
    return "postgres" if os.geteuid() == 0 else None


def timescaledb_available(cfg: StackConfig) -> bool:
    try:
        libdir = subprocess.run(
            [str(cfg.pg_bin / "pg_config"), "--pkglibdir"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        libdir = str(cfg.pg_bin.parent / "lib")
    return Path(libdir, "timescaledb.so").exists()


def _initdb(cfg: StackConfig) -> None:
    base, data = _dir(cfg), _dir(cfg) / "data"
    if (data / "PG_VERSION").exists():
        return
    base.mkdir(parents=True, exist_ok=True)
    (base / "run").mkdir(exist_ok=True)
    if _user():
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(base / "run", "postgres", "postgres")
    result = subprocess.run(
        [
            str(cfg.pg_bin / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        ],
        capture_output=True,
        text=True,
        user=_user(),
        check=False,
    )
    if result.returncode != 0:
        raise StackError(f"initdb failed:\n{result.stdout}{result.stderr}")


def settings(timescaledb: bool) -> dict[str, str]:
    """The server's settings in the given mode (a plain server keeps PostgreSQL's pools)."""
    return {**_SETTINGS, **(_TIMESCALE_SETTINGS if timescaledb else {})}


def _argv(cfg: StackConfig, timescaledb: bool) -> list[str]:
    argv = [
        str(cfg.pg_bin / "postgres"),
        "-D",
        str(_dir(cfg) / "data"),
        "-p",
        str(cfg.postgres_port),
        "-k",
        str(_dir(cfg) / "run"),
    ]
    for key, value in settings(timescaledb).items():
        argv += ["-c", f"{key}={value}"]
    return argv


def _admin_conninfo(cfg: StackConfig, dbname: str = "postgres") -> str:
    return f"host={_dir(cfg) / 'run'} port={cfg.postgres_port} user=postgres dbname={dbname}"


def _bootstrap(cfg: StackConfig, timescaledb: bool) -> None:
    """Role and database of the stack, and TimescaleDB where it is installed; idempotent."""
    import psycopg

    with psycopg.connect(_admin_conninfo(cfg), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'hazardwatch'").fetchone():
            # Superuser: the test fixtures create and drop a database per test.
            conn.execute("CREATE ROLE hazardwatch LOGIN SUPERUSER PASSWORD 'hazardwatch'")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'hazardwatch'").fetchone():
            conn.execute("CREATE DATABASE hazardwatch OWNER hazardwatch")
    if not timescaledb:
        return
    # Only the stack's database, not template1: a database made from a template with the
    # extension gets a job scheduler of its own at the launcher's next poll, and every test
    # and bench database is made from template1. The migrations create the extension where
    # it is wanted (storage/migrations/0003_readings.py). An older launcher put it there.
    with psycopg.connect(_admin_conninfo(cfg, "template1"), autocommit=True) as conn:
        conn.execute("DROP EXTENSION IF EXISTS timescaledb")
    with psycopg.connect(_admin_conninfo(cfg, "hazardwatch"), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")


def up(cfg: StackConfig, *, timescaledb: bool | None = None) -> None:
    """Start (or find running) the stack's PostgreSQL, bootstrap and migrate it.

    `timescaledb`: None preloads the extension when the installation has it; False starts
    plain PostgreSQL even then (bench/storage compares the two modes on one machine).
    """
    packages.ensure(["postgres"])
    with_extension = timescaledb_available(cfg) if timescaledb is None else timescaledb
    if pid(cfg) is None:
        process.require_port_free(NAME, cfg.postgres_port)
        _initdb(cfg)
        process.start(
            _argv(cfg, with_extension),
            pid_file=cfg.pid_file(NAME),
            log_file=cfg.log_file(NAME),
            user=_user(),
        )
    process.require_healthy(NAME, lambda: healthy(cfg), 30.0, cfg.log_file(NAME))
    _bootstrap(cfg, with_extension)
    _migrate(cfg)


def _migrate(cfg: StackConfig) -> None:
    """Apply storage migrations to the stack's database when the storage package provides them."""
    import importlib.util

    if importlib.util.find_spec("storage.migrations") is None:
        return
    from storage.datastore import Datastore
    from storage.migrations import migrate

    store = Datastore(cfg.database_url)
    try:
        migrate(store)
    finally:
        store.close()


def healthy(cfg: StackConfig) -> bool:
    import psycopg

    if pid(cfg) is None:
        return False
    with psycopg.connect(_admin_conninfo(cfg), connect_timeout=2) as conn:
        return conn.execute("SELECT 1").fetchone() == (1,)


def mode(cfg: StackConfig) -> str:
    """`timescaledb` when the extension is active in the stack's database, else `postgresql`."""
    import psycopg

    with psycopg.connect(_admin_conninfo(cfg, "hazardwatch"), connect_timeout=2) as conn:
        row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone()
    return "timescaledb" if row else "postgresql"


def down(cfg: StackConfig) -> bool:
    # SIGTERM is PostgreSQL's "smart" shutdown; it waits for clients, so allow time.
    return process.stop(cfg.pid_file(NAME), "postgres", timeout=30.0)


def pid(cfg: StackConfig) -> int | None:
    return process.read_pid(cfg.pid_file(NAME), "postgres")
