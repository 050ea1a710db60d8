from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from storage.datastore import Datastore
from storage.queries import bucketed_readings, raw_readings
from tests.integration.storage.builders import envelope, rid
from tests.integration.storage.seeding import store_readings

START = datetime(2026, 1, 31, 22, 0, tzinfo=UTC)  # crosses a month: two partitions


def _seed(store: Datastore) -> tuple[str, dict[int, float]]:
    device = rid("d-")
    rng = random.Random(7)
    values = {seq: round(rng.uniform(0, 60), 3) for seq in range(0, 4 * 3600, 15)}
    envelopes = [envelope(device, s, START + timedelta(seconds=s), concentration=v)
                 for s, v in values.items()]  # fmt: skip
    # Another device in the same period must not leak into the answers.
    envelopes += [envelope(rid("o-"), s, START + timedelta(seconds=s), concentration=99.0)
                  for s in range(0, 600, 15)]  # fmt: skip
    assert store_readings(store, envelopes) == len(envelopes)
    return device, values


def test_raw_readings_of_a_device_are_the_rows_in_the_range_in_time_order(store: Datastore) -> None:
    device, values = _seed(store)
    start, end = START + timedelta(minutes=10), START + timedelta(minutes=20)
    rows = raw_readings(store, device, start, end)
    expected = sorted(s for s in values if start <= START + timedelta(seconds=s) < end)
    assert [r.seq for r in rows] == expected
    assert [r.concentration for r in rows] == [values[s] for s in expected]


def test_hourly_buckets_give_min_avg_max_count_per_hour(store: Datastore) -> None:
    device, values = _seed(store)
    buckets = bucketed_readings(store, device, START, START + timedelta(days=1), "1h")
    assert len(buckets) == 4
    for i, b in enumerate(buckets):
        mine = [v for s, v in values.items() if i * 3600 <= s < (i + 1) * 3600]
        stats = b.signals["concentration"]
        assert b.bucket == START + timedelta(hours=i)
        assert (b.count, stats.count) == (len(mine), len(mine))
        assert (stats.min, stats.max) == (min(mine), max(mine))
        assert abs(stats.avg - sum(mine) / len(mine)) < 1e-9


def test_minute_and_day_buckets_agree_with_the_raw_rows(store: Datastore) -> None:
    device, values = _seed(store)
    minutes = bucketed_readings(store, device, START, START + timedelta(hours=4), "1m")
    days = bucketed_readings(
        store, device, START - timedelta(days=1), START + timedelta(days=2), "1d"
    )
    assert len(minutes) == 240 and all(m.count == 4 for m in minutes)
    first_day = [v for s, v in values.items() if s < 2 * 3600]
    assert [d.count for d in days] == [len(first_day), len(values) - len(first_day)]
    assert days[0].signals["concentration"].max == max(first_day)


def test_writing_the_same_readings_twice_stores_and_counts_them_once(store: Datastore) -> None:
    device = rid("d-")
    envelopes = [envelope(device, s, START + timedelta(seconds=s), concentration=1.0)
                 for s in range(30)]  # fmt: skip
    assert store_readings(store, envelopes) == 30
    assert store_readings(store, envelopes[10:] + envelopes[:5]) == 0
    buckets = bucketed_readings(store, device, START, START + timedelta(hours=1), "1h")
    assert [b.count for b in buckets] == [30]
