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


def _argv(cfg: StackConfig) -> list[str]:
    settings = dict(_SETTINGS)
    if timescaledb_available(cfg):
        settings["shared_preload_libraries"] = "timescaledb"
        settings["timescaledb.telemetry_level"] = "off"
    argv = [
        str(cfg.pg_bin / "postgres"),
        "-D",
        str(_dir(cfg) / "data"),
        "-p",
        str(cfg.postgres_port),
        "-k",
        str(_dir(cfg) / "run"),
    ]
    for key, value in settings.items():
        argv += ["-c", f"{key}={value}"]
    return argv


def _admin_conninfo(cfg: StackConfig, dbname: str = "postgres") -> str:
    return f"host={_dir(cfg) / 'run'} port={cfg.postgres_port} user=postgres dbname={dbname}"


def _bootstrap(cfg: StackConfig) -> None:
    """Role and database of the stack, and TimescaleDB where it is installed; idempotent."""
    import psycopg

    with psycopg.connect(_admin_conninfo(cfg), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'hazardwatch'").fetchone():
            # Superuser: the test fixtures create and drop a database per test.
            conn.execute("CREATE ROLE hazardwatch LOGIN SUPERUSER PASSWORD 'hazardwatch'")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'hazardwatch'").fetchone():
            conn.execute("CREATE DATABASE hazardwatch OWNER hazardwatch")
    if timescaledb_available(cfg):
        for db in ("template1", "hazardwatch"):
            with psycopg.connect(_admin_conninfo(cfg, db), autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")


def up(cfg: StackConfig) -> None:
    packages.ensure(["postgres"])
    if pid(cfg) is None:
        process.require_port_free(NAME, cfg.postgres_port)
        _initdb(cfg)
        process.start(
            _argv(cfg), pid_file=cfg.pid_file(NAME), log_file=cfg.log_file(NAME), user=_user()
        )
    process.require_healthy(NAME, lambda: healthy(cfg), 30.0, cfg.log_file(NAME))
    _bootstrap(cfg)
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
