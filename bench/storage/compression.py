"""TimescaleDB only: how much the 7-day compression policy shrinks the readings.

The policy's background job would compress the bench's old chunks at some moment of its own;
here every chunk is compressed at once and the hypertable's size compared before and after
(`hypertable_detailed_size`: heap + indexes + TOAST of all chunks), with the per-chunk view of
`chunk_compression_stats` as a check.
"""

from __future__ import annotations

import os
import time

from bench.harness import Row
from storage.datastore import Datastore


def _size(store: Datastore) -> int:
    with store.transaction() as conn:
        sql = "SELECT total_bytes FROM hypertable_detailed_size('readings')"
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def compression_ratio(store: Datastore) -> list[Row]:
    before = _size(store)
    started = time.perf_counter()
    with store.transaction() as conn:
        conn.execute(
            "SELECT compress_chunk(c, if_not_compressed => true) FROM show_chunks('readings') c"
        )
    took = time.perf_counter() - started
    after = _size(store)
    with store.transaction() as conn:
        stats = conn.execute(
            "SELECT count(*), sum(before_compression_total_bytes),"
            " sum(after_compression_total_bytes) FROM chunk_compression_stats('readings')"
            " WHERE compression_status = 'Compressed'"
        ).fetchone()
    chunks, chunk_before, chunk_after = stats if stats else (0, None, None)
    load = "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    note = (
        f"readings {before / 2**20:,.0f} MiB -> {after / 2**20:,.0f} MiB;"
        f" {chunks} chunks compressed in {took:.0f} s"
        f" (chunk_compression_stats {int(chunk_before or 0) / 2**20:,.0f} ->"
        f" {int(chunk_after or 0) / 2**20:,.0f} MiB); {load}"
    )
    return [Row("compression ratio, readings (timescaledb)", "ratio", before / max(after, 1), "x",
                note)]  # fmt: skip
