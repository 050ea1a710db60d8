"""A cached report is the report: computed once, served while none of its period's alarms
changed, and computed again the moment one did (and only then)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.events import Acknowledged, AlarmEvent, AlarmRaised
from storage.datastore import Datastore
from storage.report_cache import ReportCache
from storage.reports import report
from tests.integration.storage.builders import alarm_history
from tests.integration.storage.seeding import store_alarm_events

MONTH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
TOWNSHIP = "330106001"


def _open_alarm(
    store: Datastore, at: datetime, division: str = TOWNSHIP + "001"
) -> list[AlarmEvent]:
    events = alarm_history(device_id="D1", raised_at=at, division=division)
    store_alarm_events(store, events)
    return events


def test_a_report_is_computed_once_until_an_alarm_of_its_period_changes(store: Datastore) -> None:
    cache = ReportCache()
    store_alarm_events(store, alarm_history(
        device_id="D1", raised_at=MONTH[0] + timedelta(days=3), ack_after=timedelta(minutes=2),
        close_after=timedelta(hours=1),
    ))  # fmt: skip
    still_open = _open_alarm(store, MONTH[0] + timedelta(days=20))

    first = report(store, "330106", *MONTH, cache=cache)
    again = report(store, "330106", *MONTH, cache=cache)
    assert again == first and (cache.hits, cache.misses) == (1, 1)
    assert first.time_to_acknowledge.median_s == 120.0

    # Acknowledged a month later: the alarm belongs to March, so March's report changes.
    raised = still_open[0]
    assert isinstance(raised, AlarmRaised)
    store_alarm_events(store, [Acknowledged(
        event_id=f"ack-{raised.alarm_id}", alarm_id=raised.alarm_id, seq=2,
        occurred_at=raised.occurred_at + timedelta(days=30), device_id=raised.device_id,
        enterprise_id=raised.enterprise_id, division=raised.division, family=raised.family,
        condition=raised.condition, severity=raised.severity, actor="monitor-1",
        command_id=f"cmd-{raised.alarm_id}",
    )])  # fmt: skip
    changed = report(store, "330106", *MONTH, cache=cache)
    assert cache.misses == 2
    assert changed == report(store, "330106", *MONTH)  # the same as computed without a cache
    assert changed.time_to_acknowledge != first.time_to_acknowledge


def test_alarms_of_another_period_or_another_county_leave_the_cached_report_alone(
    store: Datastore,
) -> None:
    cache = ReportCache()
    _open_alarm(store, MONTH[0] + timedelta(days=1))
    first = report(store, "330106", *MONTH, cache=cache)
    _open_alarm(store, MONTH[1] + timedelta(hours=1))  # April
    _open_alarm(store, MONTH[0] + timedelta(days=2), division="330107001001")  # next county
    assert report(store, "330106", *MONTH, cache=cache) == first
    assert (cache.hits, cache.misses) == (1, 1)
    _open_alarm(store, MONTH[1] - timedelta(seconds=1))  # the last second of March
    assert sum(report(store, "330106", *MONTH, cache=cache).by_family_severity.values()) == 2
    assert cache.misses == 2
