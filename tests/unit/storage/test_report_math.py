from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.queries import pick_bucket
from storage.reports import percentile

T = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("span", "bucket"),
    [
        (timedelta(minutes=30), None),
        (timedelta(hours=2), None),
        (timedelta(hours=3), "1m"),
        (timedelta(days=2), "1m"),
        (timedelta(days=30), "1h"),
        (timedelta(days=365), "1d"),
    ],
)
def test_the_bucket_grows_with_the_range(span: timedelta, bucket: str | None) -> None:
    assert pick_bucket(T, T + span) == bucket


@given(st.lists(st.floats(0, 1e6), min_size=2, max_size=50))
def test_percentiles_interpolate_like_postgres_percentile_cont(values: list[float]) -> None:
    ordered = sorted(values)
    assert percentile(ordered, 0.5) == pytest.approx(statistics.median(ordered))
    expected = statistics.quantiles(ordered, n=20, method="inclusive")[18]
    assert percentile(ordered, 0.95) == pytest.approx(expected)


def test_the_percentile_of_one_value_is_that_value() -> None:
    assert percentile([42.0], 0.95) == 42.0
