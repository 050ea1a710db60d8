"""TimescaleDB: `seq` joins `ts` in the compression order of `readings`, as TimescaleDB asks.

The unique key is `(device_id, ts, seq)` (0005). TimescaleDB warns (`column "seq" should be
used for segmenting or ordering`) when a column of a unique index is neither a segment-by nor
an order-by column of the compression: the key is still enforced in compressed chunks, but a
new row is checked against a compressed batch by the min/max metadata that only segment-by
and order-by columns have. With `seq` ordered too, an INSERT ... ON CONFLICT of a late or
redelivered reading into a week-old, compressed chunk decompresses only the batches whose
ts and seq ranges could hold it. Rows of a device are ordered by ts anyway, and seq rises
with ts, so the compressed size does not change.

0003 now sets this order itself (a new database never logs the warning); this brings the
databases made before to the same settings. Chunks compressed earlier keep their order
until they are recompressed; new chunks follow the new one.
"""

from __future__ import annotations

import psycopg

from storage.mode import detect


def apply(conn: psycopg.Connection) -> None:
    if detect(conn) != "timescaledb":
        return
    conn.execute(
        "ALTER TABLE readings SET (timescaledb.compress, timescaledb.compress_segmentby ="
        " 'device_id', timescaledb.compress_orderby = 'ts, seq')"
    )
