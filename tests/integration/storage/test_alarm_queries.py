from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from schemas.events import AlarmEvent
from schemas.families import Family, Severity
from storage.datastore import Datastore
from storage.queries import AlarmFilter, alarm_detail, alarm_history
from tests.integration.storage.builders import alarm_history as history
from tests.integration.storage.builders import rid
from tests.integration.storage.seeding import store_alarm_events

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
TOWN_A = "330106001"
TOWN_B = "330106002"


def _seed(store: Datastore) -> list[list[AlarmEvent]]:
    alarms = []
    for i in range(12):
        alarms.append(
            history(
                device_id=rid("d-"),
                raised_at=T0 + timedelta(minutes=10 * i),
                family=Family.GAS if i % 3 else Family.FIRE,
                severity=Severity.RED if i % 2 else Severity.YELLOW,
                division=(TOWN_A if i < 8 else TOWN_B) + "001",
                ack_after=timedelta(minutes=3),
                close_after=timedelta(hours=1) if i % 4 == 0 else None,
            )
        )
    store_alarm_events(store, [e for a in alarms for e in a])
    return alarms


def test_alarm_history_filters_by_scope_family_severity_and_state(store: Datastore) -> None:
    alarms = _seed(store)

    def expect(pred: Callable[[list[AlarmEvent]], bool]) -> list[str]:
        chosen = [(a[0].occurred_at, a[0].alarm_id) for a in alarms if pred(a)]
        return [aid for _, aid in sorted(chosen, reverse=True)]

    flt = AlarmFilter(division_prefix=TOWN_A, families=("gas",), state="open")
    got = [a.alarm_id for a in alarm_history(store, flt).items]
    assert got == expect(
        lambda a: a[0].division.startswith(TOWN_A) and a[0].family == "gas" and len(a) == 2
    )
    flt = AlarmFilter(severities=("red",), state="closed")
    got = [a.alarm_id for a in alarm_history(store, flt).items]
    assert got == expect(lambda a: a[0].severity == "red" and a[-1].type == "Closed")
    window = AlarmFilter(since=T0 + timedelta(minutes=30), until=T0 + timedelta(minutes=60))
    got = [a.alarm_id for a in alarm_history(store, window).items]
    assert got == expect(lambda a: 30 <= (a[0].occurred_at - T0).total_seconds() / 60 < 60)


def test_alarm_history_pages_newest_first_without_gaps_or_repeats(store: Datastore) -> None:
    alarms = _seed(store)
    seen: list[str] = []
    after = None
    while True:
        page = alarm_history(store, AlarmFilter(), after=after, limit=5)
        seen += [a.alarm_id for a in page.items]
        if page.next_after is None:
            break
        after = page.next_after
    newest_first = sorted(alarms, key=lambda a: a[0].occurred_at, reverse=True)
    assert seen == [a[0].alarm_id for a in newest_first]


def test_one_alarm_comes_with_its_full_history_and_only_inside_the_scope(store: Datastore) -> None:
    alarms = _seed(store)
    closed = alarms[0]  # town A, closed
    detail = alarm_detail(store, closed[0].alarm_id, division_prefix=TOWN_A)
    assert detail is not None
    assert detail.alarm.state == "closed"
    assert [e["type"] for e in detail.events] == [e.type for e in closed]
    assert [e["event_id"] for e in detail.events] == [e.event_id for e in closed]
    assert alarm_detail(store, closed[0].alarm_id, division_prefix=TOWN_B) is None
    assert alarm_detail(store, closed[0].alarm_id, families=("elevator",)) is None
    assert alarm_detail(store, rid("missing-")) is None


def test_redelivered_events_change_neither_the_log_nor_the_projection(store: Datastore) -> None:
    alarms = _seed(store)
    again = store_alarm_events(store, [e for a in alarms for e in a])
    assert again.written == {}
    assert len(alarm_history(store, AlarmFilter(), limit=100).items) == len(alarms)
