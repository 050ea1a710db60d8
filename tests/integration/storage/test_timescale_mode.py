"""TimescaleDB mode, against the server in HW_TIMESCALE_DATABASE_URL (skipped without one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from storage.datastore import Datastore
from storage.mode import mode
from storage.queries import AlarmFilter, alarm_detail, alarm_history, bucketed_readings
from tests.integration.storage.builders import alarm_history as history
from tests.integration.storage.builders import envelope, rid
from tests.integration.storage.seeding import store_alarm_events, store_readings

T0 = datetime(2026, 4, 1, tzinfo=UTC)


def _names(store: Datastore, sql: str) -> set[str]:
    with store.transaction() as conn:
        return {r[0] for r in conn.execute(sql)}


@pytest.mark.timescale
def test_readings_and_alarm_events_are_hypertables_with_their_policies(
    timescale_store: Datastore,
) -> None:
    assert mode(timescale_store) == "timescaledb"
    info = "timescaledb_information"
    hypertables = _names(timescale_store, f"SELECT hypertable_name FROM {info}.hypertables")
    jobs = _names(timescale_store, f"SELECT proc_name FROM {info}.jobs")
    caggs = _names(timescale_store, f"SELECT view_name FROM {info}.continuous_aggregates")
    assert {"readings", "alarm_events"} <= hypertables
    assert {"policy_compression", "policy_retention", "policy_refresh_continuous_aggregate"} <= jobs
    assert {"readings_1m", "readings_1h", "readings_1d"} <= caggs


@pytest.mark.timescale
def test_continuous_aggregates_answer_the_same_bucket_queries(timescale_store: Datastore) -> None:
    device = rid("d-")
    values = {s: float(s % 17) for s in range(0, 7200, 10)}
    rows = [
        envelope(device, s, T0 + timedelta(seconds=s), concentration=v) for s, v in values.items()
    ]
    assert store_readings(timescale_store, rows) == len(rows)
    assert store_readings(timescale_store, rows) == 0
    # Real-time aggregates: the not-yet-materialised tail is computed from raw rows.
    hours = bucketed_readings(timescale_store, device, T0, T0 + timedelta(days=1), "1h")
    assert [b.count for b in hours] == [360, 360]
    first = [v for s, v in values.items() if s < 3600]
    assert hours[0].signals["concentration"].avg == pytest.approx(sum(first) / len(first))


@pytest.mark.timescale
def test_the_event_log_stays_idempotent_as_a_hypertable(timescale_store: Datastore) -> None:
    events = history(device_id=rid("d-"), raised_at=T0, ack_after=timedelta(minutes=1),
                     close_after=timedelta(hours=1))  # fmt: skip
    assert store_alarm_events(timescale_store, events).written == {"alarm_events": len(events)}
    assert store_alarm_events(timescale_store, events).written == {}
    page = alarm_history(timescale_store, AlarmFilter(state="closed"))
    assert [a.alarm_id for a in page.items] == [events[0].alarm_id]
    detail = alarm_detail(timescale_store, events[0].alarm_id)
    assert detail is not None and len(detail.events) == len(events)


@pytest.mark.timescale
def test_the_server_has_worker_slots_for_every_timescaledb_worker(
    timescale_store: Datastore,
) -> None:
    """As the launcher sizes it (deploy/stack/postgres.py): PostgreSQL's pool holds all of
    TimescaleDB's workers, parallel query's and the launcher's slot; template1 (which every
    test database is made from) has no extension, hence no scheduler in each new database."""
    with timescale_store.transaction() as conn:
        pool, timescale, parallel = (
            int(conn.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
            for name in ("max_worker_processes", "timescaledb.max_background_workers",
                         "max_parallel_workers")
        )  # fmt: skip
    assert pool >= timescale + parallel + 1
    template = timescale_store.url.rsplit("/", 1)[0] + "/template1"
    with psycopg.connect(template) as conn:
        assert conn.execute("SELECT extname FROM pg_extension").fetchall() == [("plpgsql",)]


def test_plain_postgresql_mode_partitions_readings_by_time(store: Datastore) -> None:
    if mode(store) != "postgresql":
        pytest.skip("TimescaleDB is active: readings is a hypertable, not a partitioned table")
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'readings'::regclass"
        ).fetchone()
    assert row == ("r",)
