from __future__ import annotations

import threading

import psycopg

from storage.datastore import Datastore
from storage.migrations import available, migrate
from tests.integration.storage.builders import rid


def _fresh_database(database_url: str) -> tuple[str, str]:
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    name = rid("hw_mig_")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin, name


def test_migrations_apply_on_an_empty_database_and_are_a_no_op_the_second_time(
    database_url: str,
) -> None:
    admin, name = _fresh_database(database_url)
    try:
        with Datastore(admin.rsplit("/", 1)[0] + f"/{name}") as store:
            first = migrate(store)
            second = migrate(store)
            with store.transaction() as conn:
                recorded = [r[0] for r in conn.execute("SELECT name FROM schema_migrations")]
                tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables")}
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert first == [p.stem for p in available()]
    assert second == []
    assert sorted(recorded) == sorted(first)
    assert {"readings", "alarm_events", "alarms", "device_status", "dead_letters"} <= tables


def test_two_processes_migrating_at_once_apply_each_migration_exactly_once(
    database_url: str,
) -> None:
    admin, name = _fresh_database(database_url)
    results: list[list[str]] = []
    try:
        url = admin.rsplit("/", 1)[0] + f"/{name}"

        def run() -> None:
            with Datastore(url) as store:
                results.append(migrate(store))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert sorted(len(r) for r in results) == [0, len(available())]


def test_the_fixture_database_is_already_fully_migrated(database_url: str) -> None:
    with Datastore(database_url) as store:
        assert migrate(store) == []
