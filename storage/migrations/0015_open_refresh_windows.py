"""TimescaleDB: the refresh policies' windows start open, so late readings reach every rollup.

0003 refreshed the last 2 hours (1m), 3 days (1h) and 30 days (1d). A reading stored later
than that (a sink outage, a backlog, a gateway uploading a day of buffered readings, a
redelivery long after a failed first attempt) was in `readings` but never in the aggregate:
real-time aggregates compute only the not-yet-materialised tail from raw rows, and a bucket
below the watermark that no window covers was never refreshed. A trend would have been wrong
for good, silently.

With `start_offset => NULL` each run refreshes everything up to its end offset, but a refresh
only rematerialises what the invalidation log names (TimescaleDB records the time range of
every insert below the watermark), so a run with nothing late costs about what it did, and a
late batch costs the re-aggregation of the buckets it touched, for every device (the log
keeps time ranges, not devices). bench/storage measures both, and the alternative (the sink
refreshing the range of a late batch itself). Schedules and end offsets are those of 0003.
Measured at 100 M readings (bench/results/storage-100m-timescaledb.json): a gateway's late day
cost the jobs 6.6 s (median of 3), the sink's own refresh 6.2 s, nothing late 5-7 ms either
way. The jobs stay: they run beside the sink, not in its path (a sink catching up after an
outage writes only late batches), one run covers every late batch since the last, and they
catch every writer and a sink that died between its commit and a refresh.

`buckets_per_batch => 0`: one pass over the invalidated ranges instead of TimescaleDB's
default batches of 10 buckets. In 2.28 (the last release for PostgreSQL 15) the batching
retires an invalidation that ends exactly on a batch boundary one bucket early, and that
bucket is never materialised (timescale/timescaledb#10221, fixed in 2.29): a late reading at
03:00:00 stayed out of the 1m rollup for good (tests/integration/storage/test_late_readings).
Batches only bound the size of one refresh transaction; a late batch's ranges are small.

Applied to a database that has run 0003's policies for a while, the first run of each job
materialises whatever no earlier window covered (e.g. readings older than 30 days in the 1d
rollup, all of it on a database created before its first refresh): one-off work the size of
a full refresh of that rollup, done by the job in the background in one transaction.
Plain PostgreSQL mode upserts its rollups as it inserts (storage/readings.py): nothing to do.
"""

from __future__ import annotations

import psycopg

from storage.mode import detect

# view -> (end_offset, schedule_interval), as 0003 set them.
POLICIES = {
    "readings_1m": ("1 minute", "1 minute"),
    "readings_1h": ("1 hour", "30 minutes"),
    "readings_1d": ("1 day", "6 hours"),
}


def apply(conn: psycopg.Connection) -> None:
    if detect(conn) != "timescaledb":
        return
    for view, (end_offset, every) in POLICIES.items():
        conn.execute(
            "SELECT remove_continuous_aggregate_policy(%s::regclass, if_exists => true)", (view,)
        )
        conn.execute(
            "SELECT add_continuous_aggregate_policy(%s::regclass, start_offset => NULL,"
            " end_offset => %s::interval, schedule_interval => %s::interval,"
            " buckets_per_batch => 0)",
            (view, end_offset, every),
        )
