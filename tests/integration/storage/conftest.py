from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from storage.datastore import Datastore
from storage.migrations import migrate
from storage.mode import stop_job_scheduler


@pytest.fixture
def database_url(database_url: str) -> str:
    """The root fixture's fresh database, without a TimescaleDB job scheduler of its own
    (on a TimescaleDB stack): a test that needs the jobs runs them with CALL run_job."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        stop_job_scheduler(conn)
    return database_url


@pytest.fixture
def store(database_url: str) -> Iterator[Datastore]:
    datastore = Datastore(database_url, max_size=4)
    yield datastore
    datastore.close()


@pytest.fixture
def timescale_store() -> Iterator[Datastore]:
    """A fresh, migrated database on the TimescaleDB server in HW_TIMESCALE_DATABASE_URL.

    The shared stack's PostgreSQL has no TimescaleDB; a hand-built server is pointed at with
    that variable (any database on it: the test creates its own and drops it after).
    """
    server = os.environ.get("HW_TIMESCALE_DATABASE_URL")
    if not server:
        pytest.skip("HW_TIMESCALE_DATABASE_URL is not set: no TimescaleDB server to test against")
    admin = server.rsplit("/", 1)[0] + "/postgres"
    name = f"hw_ts_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
        ).fetchone():
            pytest.skip("the server in HW_TIMESCALE_DATABASE_URL has no timescaledb extension")
        conn.execute(f'CREATE DATABASE "{name}"')
    datastore = Datastore(server.rsplit("/", 1)[0] + f"/{name}", max_size=4)
    try:
        migrate(datastore)
        with psycopg.connect(datastore.url, autocommit=True) as conn:
            stop_job_scheduler(conn)
        yield datastore
    finally:
        datastore.close()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
