"""Readings stored later than every refresh window still reach the 1m, 1h and 1d trends.

A gateway that uploads a day of buffered readings, or a sink back from an outage, stores rows
for buckets that were already rolled up. Plain mode upserts its rollups as it inserts; in
TimescaleDB mode the refresh jobs have to pick them up (storage/migrations/0015). The jobs
are run as the server's scheduler runs them (`CALL run_job`, every job of the database:
compression too, so the late rows land in a compressed chunk as they would 40 days on).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from storage.datastore import Datastore
from storage.mode import mode
from storage.queries import Bucket, bucketed_readings
from tests.integration.storage.builders import envelope, rid
from tests.integration.storage.seeding import store_readings

# Older than every refresh window (the widest, 1d's, looked back 30 days) and than the 7-day
# compression; on a day boundary plus an hour, so the buckets below are easy to name.
DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=40)
OLD = DAY + timedelta(hours=1)


def _run_jobs(store: Datastore) -> None:
    """Every TimescaleDB job of the database, once each, as the scheduler would start them."""
    with psycopg.connect(store.url, autocommit=True) as conn:
        jobs = conn.execute(
            "SELECT job_id FROM timescaledb_information.jobs WHERE job_id >= 1000 ORDER BY 1"
        ).fetchall()
        assert len(jobs) >= 5, "compression, retention and three refresh jobs"
        for (job_id,) in jobs:
            conn.execute("CALL run_job(%s)", (job_id,))


def _trend(store: Datastore, device: str, bucket: Bucket) -> list[tuple[datetime, int, float]]:
    rows = bucketed_readings(store, device, DAY, DAY + timedelta(days=1), bucket)
    return [(b.bucket, b.count, b.signals["concentration"].avg) for b in rows]


def _late_readings_reach_every_trend(store: Datastore) -> None:
    timescale = mode(store) == "timescaledb"
    device = rid("d-")
    now = datetime.now(UTC)
    # A live system has recent readings: refreshing them moves every rollup's watermark (below
    # it, a real-time aggregate shows only what was materialised) past the old buckets.
    recent = [envelope(device, 100, now - timedelta(days=2), concentration=1.0),
              envelope(device, 101, now - timedelta(minutes=30), concentration=1.0)]  # fmt: skip
    on_time = envelope(device, 1, OLD + timedelta(seconds=10), concentration=2.0)
    assert store_readings(store, [*recent, on_time]) == 3
    if timescale:
        _run_jobs(store)  # the buckets are materialised and the old chunk compressed
        with store.transaction() as conn:
            chunk = conn.execute(
                "SELECT is_compressed FROM timescaledb_information.chunks"
                " WHERE hypertable_name = 'readings' AND range_start <= %s AND range_end > %s",
                (OLD, OLD),
            ).fetchone()
        assert chunk == (True,)
    late = [
        envelope(device, 2, OLD + timedelta(seconds=20), concentration=4.0),  # the same minute
        # Another hour, on the hour: the late range then ends on a batch boundary, where
        # TimescaleDB 2.28's batched refresh dropped the last bucket (0015, #10221).
        envelope(device, 3, OLD + timedelta(hours=2), concentration=6.0),
        on_time,  # redelivered: counted once
    ]
    assert store_readings(store, late) == 2
    if timescale:
        _run_jobs(store)
    later = OLD + timedelta(hours=2)
    assert _trend(store, device, "1m") == [(OLD, 2, 3.0), (later, 1, 6.0)]
    assert _trend(store, device, "1h") == [(OLD, 2, 3.0), (later, 1, 6.0)]
    assert _trend(store, device, "1d") == [(DAY, 3, 4.0)]


@pytest.mark.timescale
def test_late_readings_reach_the_continuous_aggregates(timescale_store: Datastore) -> None:
    _late_readings_reach_every_trend(timescale_store)


def test_late_readings_reach_the_rollup_tables(store: Datastore) -> None:
    if mode(store) != "postgresql":
        pytest.skip("TimescaleDB is active: its twin above covers this mode")
    _late_readings_reach_every_trend(store)
