from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.timestamps import to_utc

NOON_UTC = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-23T12:00:00+08:00",
        "2026-11-23T04:00:00Z",
        "2026-11-23T04:00:00.000z",
        int(NOON_UTC.timestamp() * 1000),
        float(NOON_UTC.timestamp() * 1000),
    ],
)
def test_rfc3339_and_epoch_milliseconds_become_the_same_utc_instant(value):
    parsed = to_utc(value)
    assert parsed == NOON_UTC and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "value", ["2026-11-23T12:00:00", "yesterday", True, 1_763_000_000, None, [1]]
)
def test_naive_text_seconds_and_non_times_are_refused(value):
    with pytest.raises(ValueError):
        to_utc(value)
