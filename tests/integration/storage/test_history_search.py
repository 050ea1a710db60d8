"""Alarm history search: each filter narrows the scope, pages are newest first without gaps."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from schemas.events import AlarmEvent, Resolved
from schemas.families import Family, Severity
from storage.datastore import Datastore
from storage.history import HistoryFilter, search, search_all
from tests.integration.storage.builders import alarm_history, rid
from tests.integration.storage.seeding import store_alarm_events

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
TOWNS = ("330106001", "330106002")
CAUSES = ("real_leak", "false_alarm", "device_fault")


def _seed(store: Datastore, n: int = 40) -> list[list[AlarmEvent]]:
    rng = random.Random(14)
    devices = [rid("d-") for _ in range(5)]
    alarms = []
    for i in range(n):
        closed = rng.random() < 0.6
        alarms.append(
            alarm_history(
                device_id=rng.choice(devices),
                raised_at=T0 + timedelta(minutes=7 * i),
                family=rng.choice([Family.GAS, Family.FIRE]),
                severity=rng.choice([Severity.RED, Severity.ORANGE, Severity.YELLOW]),
                division=rng.choice(TOWNS) + "001",
                enterprise_id=rng.choice(["E-a", "E-b", "E-c"]),
                condition=rng.choice(["gas_level", "fire_alarm"]),
                ack_after=timedelta(minutes=2),
                close_after=timedelta(hours=1) if closed else None,
                cause=rng.choice(CAUSES),
            )
        )
    store_alarm_events(store, [e for a in alarms for e in a])
    return alarms


Match = Callable[[list[AlarmEvent]], bool]


def _expected(alarms: list[list[AlarmEvent]], pred: Match) -> list[str]:
    chosen = [a for a in alarms if pred(a)]
    chosen.sort(key=lambda a: (a[0].occurred_at, a[0].alarm_id), reverse=True)
    return [a[0].alarm_id for a in chosen]


def _cause(a: list[AlarmEvent]) -> str | None:
    return next((e.cause for e in a if isinstance(e, Resolved)), None)


def test_each_filter_narrows_to_exactly_the_matching_alarms(store: Datastore) -> None:
    alarms = _seed(store)
    some = alarms[3][0]
    cases: list[tuple[HistoryFilter, Match]] = [
        (HistoryFilter(enterprises=("E-a",)), lambda a: a[0].enterprise_id == "E-a"),
        (HistoryFilter(devices=(some.device_id,)), lambda a: a[0].device_id == some.device_id),
        (HistoryFilter(conditions=("fire_alarm",)), lambda a: a[0].condition == "fire_alarm"),
        (HistoryFilter(causes=("false_alarm",)), lambda a: _cause(a) == "false_alarm"),
        (
            HistoryFilter(
                division_prefix=TOWNS[0],
                families=("gas",),
                severities=("red", "orange"),
                state="closed",
                since=T0 + timedelta(hours=1),
                until=T0 + timedelta(hours=4),
                causes=("real_leak", "device_fault"),
            ),
            lambda a: (
                a[0].division.startswith(TOWNS[0])
                and a[0].family == "gas"
                and a[0].severity in ("red", "orange")
                and a[-1].type == "Closed"
                and T0 + timedelta(hours=1) <= a[0].occurred_at < T0 + timedelta(hours=4)
                and _cause(a) in ("real_leak", "device_fault")
            ),
        ),
        (
            HistoryFilter(scope_enterprise="E-b", enterprises=("E-a",)),
            lambda a: False,  # asking for another enterprise than one's own finds nothing
        ),
        (
            HistoryFilter(scope_enterprise="E-b", state="open"),
            lambda a: a[0].enterprise_id == "E-b" and a[-1].type != "Closed",
        ),
    ]
    for flt, pred in cases:
        got = [r.alarm_id for r in search(store, flt, limit=500).items]
        want = _expected(alarms, pred)
        assert got == want, flt
    assert any(_expected(alarms, pred) for _, pred in cases[:5]), "the seed matched nothing"


def test_rows_carry_the_handling_columns(store: Datastore) -> None:
    alarms = _seed(store, n=6)
    closed = next(a for a in alarms if a[-1].type == "Closed")
    row = next(r for r in search(store, HistoryFilter()).items if r.alarm_id == closed[0].alarm_id)
    assert row.state == "closed"
    assert row.cause == _cause(closed)
    assert row.closed_at == closed[-1].occurred_at
    assert row.acknowledged_at == next(e.occurred_at for e in closed if e.type == "Acknowledged")


def test_keyset_pages_walk_every_match_once_newest_first(store: Datastore) -> None:
    alarms = _seed(store)
    flt = HistoryFilter(families=("gas",))
    seen: list[str] = []
    after = None
    while True:
        page = search(store, flt, after=after, limit=7)
        seen += [r.alarm_id for r in page.items]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == _expected(alarms, lambda a: a[0].family == "gas")
    assert [r.alarm_id for r in search_all(store, flt, chunk=3)] == seen
