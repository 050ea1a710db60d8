"""The monthly report: every figure of its JSON is in its CSV, and each equals what this test
computes independently from the event log (the `alarm_events` bodies) of a seeded month."""

from __future__ import annotations

import csv
import io
import json
import random
import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from alerts.services import Services
from schemas.events import (
    Acknowledged,
    AlarmEvent,
    AlarmRaised,
    Closed,
    ConditionCleared,
    Escalated,
    Resolved,
    SeverityChanged,
    Supervised,
)
from schemas.families import Severity
from tests.integration.alerts.conftest import TokenFactory
from tests.integration.alerts.seed import seed_device
from tests.integration.storage.builders import presence
from tests.integration.storage.seeding import store_alarm_events

MONTH = datetime(2026, 11, 1, tzinfo=UTC)
MONTH_END = datetime(2026, 12, 1, tzinfo=UTC)
COUNTY = "330106"
RANK = {"red": 1, "orange": 2, "yellow": 3, "blue": 4}


def _history(rng: random.Random, device: str, enterprise: str, division: str,
             raised_at: datetime, condition: str) -> list[AlarmEvent]:  # fmt: skip
    """A valid random history: raised, maybe worse, escalated, supervised, handled."""
    common: dict[str, Any] = {
        "alarm_id": f"A{uuid4().hex[:10]}", "device_id": device, "enterprise_id": enterprise,
        "division": division, "family": "fire" if condition == "residual_current" else "gas",
        "condition": condition,
    }  # fmt: skip
    severity = rng.choice([Severity.YELLOW, Severity.ORANGE])
    at = raised_at
    out: list[AlarmEvent] = [
        AlarmRaised(event_id=uuid4().hex, seq=1, occurred_at=at, severity=severity, **common)
    ]

    def then(cls: type[Any], gap_s: int, **fields: Any) -> None:
        nonlocal at
        at += timedelta(seconds=gap_s)
        out.append(cls(event_id=uuid4().hex, seq=len(out) + 1, occurred_at=at,
                       severity=severity, **common, **fields))  # fmt: skip

    if condition == "offline":
        then(ConditionCleared, rng.randint(600, 2 * 86400))
    if rng.random() < 0.3:
        then(SeverityChanged, 30, from_severity=severity, to_severity=Severity.RED)
        severity = Severity.RED
    if rng.random() < 0.25:
        then(Escalated, rng.randint(300, 3600), level="county", reason="ack_overdue")
        if rng.random() < 0.5:
            then(Supervised, 60, actor="county", command_id=uuid4().hex)
    if rng.random() < 0.85:
        then(Acknowledged, rng.randint(10, 7200), actor="m", command_id=uuid4().hex)
        if rng.random() < 0.8:
            cause = rng.choice(["false_alarm", "real_leak", "device_fault"])
            then(Resolved, rng.randint(60, 86400), actor="m", command_id=uuid4().hex,
                 cause=cause)  # fmt: skip
            then(Closed, rng.randint(10, 3600), actor="m", command_id=uuid4().hex)
    return out


@pytest.fixture
def month(services: Services) -> dict[str, list[str]]:
    rng = random.Random(1411)
    sites = {f"E{uuid4().hex[:6]}": COUNTY + t for t in ("001001", "001002", "002001")}
    devices = {e: [seed_device(services.store, e, d) for _ in range(2)] for e, d in sites.items()}
    histories: list[list[AlarmEvent]] = []
    conditions = ["gas_level", "gas_level", "offline", "residual_current", "tamper_flatline"]
    for _ in range(80):
        enterprise = rng.choice(list(sites))
        raised = MONTH + timedelta(seconds=rng.randint(0, 29 * 86400))
        histories.append(_history(rng, rng.choice(devices[enterprise]), enterprise,
                                  sites[enterprise], raised, rng.choice(conditions)))  # fmt: skip
    # One enterprise mostly offline: four days of one device's thirty.
    lost = list(sites)[2]
    for day in (3, 10, 17, 24):
        h = _history(rng, devices[lost][0], lost, sites[lost], MONTH + timedelta(days=day),
                     "offline")  # fmt: skip
        cleared = next(e for e in h if isinstance(e, ConditionCleared))
        h[h.index(cleared)] = cleared.model_copy(
            update={"occurred_at": h[0].occurred_at + timedelta(days=1)}
        )
        histories.append(_sorted(h))
    noise = [  # before, after, another county
        _history(rng, devices[lost][1], lost, sites[lost], MONTH - timedelta(hours=2), "gas_level"),
        _history(rng, devices[lost][1], lost, sites[lost], MONTH_END, "gas_level"),
        _history(rng, "D-elsewhere", "E-elsewhere", "330107001001", MONTH + timedelta(days=2),
                 "tamper_flatline"),
    ]  # fmt: skip
    for h in [*histories, *noise]:
        if h[0].condition == "offline":  # the worker announces the episode beside its alarm
            back = next(e.occurred_at for e in h if isinstance(e, ConditionCleared))
            h += presence(_common(h[0]), h[0].occurred_at, back - h[0].occurred_at)
    store_alarm_events(services.store, [e for h in histories + noise for e in h])
    return devices


def _common(raised: AlarmEvent) -> dict[str, Any]:
    keep = ("alarm_id", "device_id", "enterprise_id", "division", "family", "condition")
    return {k: getattr(raised, k) for k in keep}


def _sorted(h: list[AlarmEvent]) -> list[AlarmEvent]:
    """Keep times increasing after a test moved one event later."""
    out: list[AlarmEvent] = [h[0]]
    for e in h[1:]:
        at = max(e.occurred_at, out[-1].occurred_at + timedelta(seconds=1))
        out.append(e.model_copy(update={"occurred_at": at}))
    return out


def _p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _independent(bodies: list[dict[str, Any]], devices: dict[str, list[str]]) -> dict[Any, Any]:
    """The report's figures from the raw event bodies, without the report's SQL."""
    by_alarm: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for b in bodies:
        by_alarm[b["alarm_id"]].append(b)
    want: dict[Any, Any] = {}
    ack: list[float] = []
    close: list[float] = []
    resolved: dict[str, int] = defaultdict(int)
    false: dict[str, int] = defaultdict(int)
    tamper: dict[str, int] = defaultdict(int)
    overdue = supervised = 0
    offline: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for events in by_alarm.values():
        events.sort(key=lambda b: b["seq"])
        first = events[0]
        raised = datetime.fromisoformat(first["occurred_at"])
        at = {b["type"]: datetime.fromisoformat(b["occurred_at"]) for b in reversed(events)}
        if first["type"] == "DeviceWentOffline":  # an offline episode, not an alarm
            offline[first["device_id"]].append((raised, at["DeviceCameOnline"]))
            continue
        if not (MONTH <= raised < MONTH_END and first["division"].startswith(COUNTY)):
            continue
        worst = min((b["severity"] for b in events if b.get("severity")), key=RANK.__getitem__)
        key = ("alarms", first["family"], worst, "", "count")
        want[key] = want.get(key, 0) + 1
        if "Acknowledged" in at:
            ack.append((at["Acknowledged"] - raised).total_seconds())
        if "Closed" in at:
            close.append((at["Closed"] - raised).total_seconds())
        overdue += "Escalated" in at
        supervised += "Supervised" in at
        enterprise = first["enterprise_id"]
        cause = next((b["cause"] for b in events if b["type"] == "Resolved"), None)
        if cause is not None:
            resolved[enterprise] += 1
            false[enterprise] += cause == "false_alarm"
        tamper[enterprise] += first["condition"].startswith("tamper")
    for name, values in (("time_to_acknowledge", ack), ("time_to_close", close)):
        want[(name, "", "", "", "median_s")] = _p(values, 0.5)
        want[(name, "", "", "", "p95_s")] = _p(values, 0.95)
    want[("overdue", "", "", "", "count")] = overdue
    want[("supervised", "", "", "", "count")] = supervised
    for e, n in resolved.items():
        want[("false_alarm_rate", "", "", e, "ratio")] = false[e] / n
    daily: dict[str, list[float]] = {}  # device -> uptime % per day
    for enterprise_devices in devices.values():
        for d in enterprise_devices:
            daily[d] = []
            for day in range(30):
                start = MONTH + timedelta(days=day)
                end = start + timedelta(days=1)
                lost = sum(
                    max(0.0, (min(b, end) - max(a, start)).total_seconds()) for a, b in offline[d]
                )
                daily[d].append(100 * (1 - lost / 86400))
    uptime = {}
    for e, ds in devices.items():
        uptime[e] = statistics.mean(statistics.mean(daily[d][i] for d in ds) for i in range(30))
        want[("uptime", "", "", e, "pct")] = uptime[e]
        if uptime[e] < 95:
            want[("below_95", "", "", e, "pct")] = uptime[e]
    every = [d for ds in devices.values() for d in ds]
    want[("online_rate", "", "", "", "pct")] = statistics.mean(
        statistics.mean(daily[d][i] for d in every) for i in range(30)
    )
    for e, n in tamper.items():
        if n >= 2:
            want[("repeat_tamper_offender", "", "", e, "count")] = n
    return want


def test_the_monthly_report_and_its_csv_equal_a_recomputation_from_the_event_log(
    client: TestClient, services: Services, token: TokenFactory, month: dict[str, list[str]]
) -> None:
    with services.store.transaction() as conn:
        bodies = [r[0] for r in conn.execute("SELECT body FROM alarm_events WHERE seq > 0")]
    want = _independent([b if isinstance(b, dict) else json.loads(b) for b in bodies], month)
    assert any(k[0] == "below_95" for k in want) and any(k[0] == "repeat_tamper_offender"
                                                         for k in want)  # fmt: skip
    headers = {"Authorization": f"Bearer {token(role='regulator', scope=COUNTY)}"}
    params = {"start": MONTH.date().isoformat()}
    page = client.get("/api/v1/reports/monthly", params=params, headers=headers)
    assert page.status_code == 200, page.text
    exported = client.get("/api/v1/reports/monthly", params={**params, "format": "csv"},
                          headers=headers)  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    key_of = ("figure", "family", "severity", "enterprise", "measure")
    got = {tuple(r[k] for k in key_of): float(r["value"]) for r in rows}
    assert set(got) == set(want)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
    assert all(r["how_computed"] for r in rows)
    on_page = {tuple(f[k] or "" for k in key_of): f["value"] for f in page.json()["figures"]}
    assert on_page.keys() == got.keys()
    for key, value in on_page.items():
        assert value == pytest.approx(got[key]), key
