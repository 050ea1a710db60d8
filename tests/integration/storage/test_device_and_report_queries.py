from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta

from schemas.events import AlarmEvent
from schemas.families import Family, Severity
from storage.datastore import Datastore
from storage.devices import device_statuses, device_uptime, enterprise_uptime, jurisdiction_uptime
from storage.reports import report
from tests.integration.storage.builders import alarm_history, rid
from tests.integration.storage.seeding import register, store_alarm_events

DAY1 = datetime(2026, 5, 2, tzinfo=UTC)
TOWN_A, TOWN_B = "330106001", "330106002"


class World:
    """A small registry plus offline episodes; expectations are computed here in Python."""

    def __init__(self) -> None:
        self.e1, self.e2, self.e3 = rid("E1-"), rid("E2-"), rid("E3-")
        self.divisions = {self.e1: TOWN_A + "001", self.e2: TOWN_A + "002", self.e3: TOWN_B + "001"}
        self.devices: dict[str, tuple[str, str]] = {}
        for enterprise, families in ((self.e1, "gg g"), (self.e2, "f"), (self.e3, "g")):
            for f in families.replace(" ", ""):
                family = "gas" if f == "g" else "fire"
                self.devices[rid("d-")] = (enterprise, family)
        d = list(self.devices)
        # (device, start, end or None): offline intervals
        self.offline = [
            (d[0], DAY1 + timedelta(hours=6), DAY1 + timedelta(hours=12)),
            (d[3], DAY1, DAY1 + timedelta(hours=36)),
            (d[2], DAY1 + timedelta(hours=42), None),
        ]
        self.events: list[list[AlarmEvent]] = []
        for device, start, end in self.offline:
            enterprise, family = self.devices[device]
            self.events.append(
                alarm_history(
                    device_id=device,
                    raised_at=start,
                    condition="offline",
                    family=Family(family),
                    severity=Severity.YELLOW,
                    division=self.divisions[enterprise],
                    enterprise_id=enterprise,
                    close_after=None if end is None else 2 * (end - start),
                )
            )

    def uptime(self, device: str, day: datetime) -> float:
        off = 0.0
        for dev, start, end in self.offline:
            if dev != device:
                continue
            lo, hi = max(start, day), min(end or day + timedelta(days=1), day + timedelta(days=1))
            off += max(0.0, (hi - lo).total_seconds())
        return 100.0 * (1 - off / 86400)

    def in_town_a(self) -> list[str]:
        return [d for d, (e, _) in self.devices.items() if self.divisions[e].startswith(TOWN_A)]


def _seed(store: Datastore) -> World:
    world = World()
    register(store, world.divisions, world.devices)
    store_alarm_events(store, [e for a in world.events for e in a])
    return world


def test_device_status_lists_registered_devices_with_online_state_in_scope(
    store: Datastore,
) -> None:
    world = _seed(store)
    still_offline = world.offline[2][0]
    statuses = {s.device_id: s for s in device_statuses(store, TOWN_A)}
    assert set(statuses) == set(world.in_town_a())
    assert [d for d, s in statuses.items() if not s.online] == [still_offline]
    assert statuses[world.offline[1][0]].offline_episodes == 1
    offline = device_statuses(store, TOWN_A, online=False)
    assert [s.device_id for s in offline] == [still_offline]
    assert {s.family for s in device_statuses(store, TOWN_A, families=["fire"])} == {"fire"}


def test_uptime_per_device_and_per_jurisdiction_is_the_share_of_each_day_online(
    store: Datastore,
) -> None:
    world = _seed(store)
    days = [DAY1, DAY1 + timedelta(days=1)]
    start, end = date(2026, 5, 2), date(2026, 5, 4)
    for device in world.devices:
        got = [d.uptime_pct for d in device_uptime(store, device, start, end)]
        assert got == [pytest_approx(world.uptime(device, day)) for day in days]
    town = [d.uptime_pct for d in jurisdiction_uptime(store, TOWN_A, start, end)]
    expected = [statistics.mean(world.uptime(d, day) for d in world.in_town_a()) for day in days]
    assert town == [pytest_approx(v) for v in expected]
    per_enterprise = enterprise_uptime(store, TOWN_A, start, end)
    e1_devices = [d for d, (e, _) in world.devices.items() if e == world.e1]
    e1 = statistics.mean(statistics.mean(world.uptime(d, day) for d in e1_devices) for day in days)
    assert per_enterprise[world.e1] == pytest_approx(e1)
    assert world.e3 not in per_enterprise


def pytest_approx(value: float) -> object:
    import pytest

    return pytest.approx(value, abs=1e-6)


def _report_alarms(world: World) -> list[list[AlarmEvent]]:
    out = []
    for i in range(10):
        device = list(world.devices)[i % 4]
        enterprise, family = world.devices[device]
        out.append(
            alarm_history(
                device_id=device,
                family=Family(family),
                enterprise_id=enterprise,
                division=world.divisions[enterprise],
                raised_at=DAY1 + timedelta(hours=3 * i),
                severity=[Severity.RED, Severity.ORANGE, Severity.YELLOW][i % 3],
                ack_after=timedelta(minutes=2 + 7 * i) if i % 5 else None,
                close_after=timedelta(hours=1 + i) if i % 2 == 0 else None,
                cause="false_alarm" if i % 4 == 0 else "real_leak",
                supervised=i == 3,
                condition="tamper_flatline" if i == 7 else "gas_level",
            )
        )
    return out


def test_the_report_of_a_township_matches_numbers_recomputed_from_the_events(
    store: Datastore,
) -> None:
    world = _seed(store)
    extra = _report_alarms(world)
    store_alarm_events(store, [e for a in extra for e in a])
    start, end = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    got = report(store, TOWN_A, start, end)

    scoped = [a for a in world.events + extra if a[0].division.startswith(TOWN_A)]
    counts: dict[tuple[str, str], int] = {}
    for a in scoped:
        key = (str(a[0].family), str(a[0].severity))
        counts[key] = counts.get(key, 0) + 1
    assert got.by_family_severity == counts

    def seconds(a: list[AlarmEvent], kind: str) -> float | None:
        at = next((e.occurred_at for e in a if e.type == kind), None)
        return None if at is None else (at - a[0].occurred_at).total_seconds()

    for kind, durations in (
        ("Acknowledged", got.time_to_acknowledge),
        ("Closed", got.time_to_close),
    ):
        values = sorted(v for a in scoped if (v := seconds(a, kind)) is not None)
        assert durations.median_s == pytest_approx(statistics.median(values))
        p95 = statistics.quantiles(values, n=20, method="inclusive")[18]
        assert durations.p95_s == pytest_approx(p95)
    assert got.supervised == sum(1 for a in scoped if any(e.type == "Supervised" for e in a))
    assert got.overdue == 0
    rates = {r.enterprise_id: r for r in got.enterprises}
    for enterprise in (world.e1, world.e2):
        mine = [a for a in scoped if a[0].enterprise_id == enterprise]
        resolved = [a for a in mine if any(e.type == "Resolved" for e in a)]
        false = [a for a in resolved if any(getattr(e, "cause", "") == "false_alarm" for e in a)]
        assert (rates[enterprise].resolved, rates[enterprise].false_alarms) == (
            len(resolved),
            len(false),
        )
        tamper = sum(1 for a in mine if a[0].condition.startswith("tamper"))
        assert rates[enterprise].tamper_flags == tamper
    assert world.e3 not in rates
    period = [start + timedelta(days=i) for i in range((end - start).days)]
    below = []
    for enterprise in (world.e1, world.e2):
        owned = [d for d, (e, _) in world.devices.items() if e == enterprise]
        daily = [statistics.mean(world.uptime(d, day) for d in owned) for day in period]
        if statistics.mean(daily) < 95.0:
            below.append(enterprise)
    assert below  # the data set must exercise the threshold
    assert got.below_target == sorted(below)
