"""Uptime per enterprise, township and jurisdiction over a week, recomputed here from the
offline episodes the test seeded; the enterprises under 95 %; an enterprise's episodes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from statistics import mean
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from alerts.services import Services
from schemas.families import Severity
from tests.integration.alerts.conftest import TokenFactory
from tests.integration.alerts.seed import NEIGHBOUR, TOWNSHIP, seed_device
from tests.integration.storage.builders import alarm_history
from tests.integration.storage.seeding import store_alarm_events

WEEK = datetime(2026, 11, 9, tzinfo=UTC)  # a Monday, in the past
HOURS = 7 * 24


def _offline(services: Services, device: str, start: datetime, hours: float | None) -> None:
    # The builder clears the condition half-way to close_after; None: still offline.
    close = None if hours is None else timedelta(hours=2 * hours)
    events = alarm_history(
        device_id=device, raised_at=start, condition="offline", severity=Severity.YELLOW,
        close_after=close,
    )  # fmt: skip
    store_alarm_events(services.store, events)


@pytest.fixture
def fleet(services: Services) -> dict[str, str]:
    one, two = f"E{uuid4().hex[:8]}", f"E{uuid4().hex[:8]}"
    d = {
        "d1": seed_device(services.store, one, TOWNSHIP + "001"),
        "d2": seed_device(services.store, one, TOWNSHIP + "001"),
        "d3": seed_device(services.store, one, TOWNSHIP + "001"),
        "d4": seed_device(services.store, two, NEIGHBOUR + "001"),
        "d5": seed_device(services.store, two, NEIGHBOUR + "001"),
    }
    _offline(services, d["d1"], WEEK + timedelta(days=1), 6)
    _offline(services, d["d2"], WEEK - timedelta(hours=6), 12)  # 6 h before the week, 6 in it
    _offline(services, d["d4"], WEEK + timedelta(days=3), 20)
    _offline(services, d["d5"], WEEK + timedelta(days=6, hours=12), None)  # 12 h to the end
    _offline(services, d["d4"], WEEK + timedelta(days=9), 5)  # after the week: not counted
    return {"one": one, "two": two, **d}


def test_a_county_sees_the_weeks_uptime_and_who_is_under_95_percent(
    client: TestClient, token: TokenFactory, fleet: dict[str, str]
) -> None:
    headers = {"Authorization": f"Bearer {token(role='regulator', scope='330106')}"}
    got = client.get(
        "/api/v1/uptime", params={"period": "week", "start": WEEK.date().isoformat()},
        headers=headers,
    )  # fmt: skip
    assert got.status_code == 200, got.text
    body = got.json()
    device = {"d1": 1 - 6 / HOURS, "d2": 1 - 6 / HOURS, "d3": 1.0, "d4": 1 - 20 / HOURS,
              "d5": 1 - 12 / HOURS}  # fmt: skip
    by_enterprise = {e["key"]: e["online_ratio"] for e in body["enterprises"]}
    assert by_enterprise[fleet["one"]] == pytest.approx(mean([device["d1"], device["d2"], 1.0]))
    assert by_enterprise[fleet["two"]] == pytest.approx(mean([device["d4"], device["d5"]]))
    by_township = {t["key"]: t["online_ratio"] for t in body["townships"]}
    assert by_township == {
        TOWNSHIP: pytest.approx(mean([device["d1"], device["d2"], 1.0])),
        NEIGHBOUR: pytest.approx(mean([device["d4"], device["d5"]])),
    }
    assert body["total"]["online_ratio"] == pytest.approx(mean(device.values()))
    assert body["total"]["devices"] == 5
    assert [e["key"] for e in body["below_target"]] == [fleet["two"]]
    assert body["enterprises"][0]["key"] == fleet["two"]  # worst first
    assert body["how_computed"]
    empty = client.get("/api/v1/uptime", params={"division": "330106009"}, headers=headers)
    assert empty.status_code == 200 and empty.json()["total"] is None

    episodes = client.get(
        "/api/v1/uptime/episodes",
        params={"enterprise": fleet["two"], "period": "week", "start": WEEK.date().isoformat()},
        headers=headers,
    ).json()["episodes"]
    assert [(e["device_id"], e["offline_s"]) for e in episodes] == [
        (fleet["d4"], 20 * 3600.0),
        (fleet["d5"], 12 * 3600.0),
    ]
    assert episodes[1]["ended_at"] is None


def test_a_township_sees_only_its_own_and_other_jurisdictions_are_not_found(
    client: TestClient, token: TokenFactory, fleet: dict[str, str]
) -> None:
    headers = {"Authorization": f"Bearer {token(scope=TOWNSHIP)}"}
    params = {"period": "week", "start": WEEK.date().isoformat()}
    body = client.get("/api/v1/uptime", params=params, headers=headers).json()
    assert [t["key"] for t in body["townships"]] == [TOWNSHIP]
    assert [e["key"] for e in body["enterprises"]] == [fleet["one"]]
    outside = client.get(
        "/api/v1/uptime", params={**params, "division": NEIGHBOUR}, headers=headers
    )
    assert outside.status_code == 404
    theirs = client.get(
        "/api/v1/uptime/episodes", params={**params, "enterprise": fleet["two"]}, headers=headers
    )
    assert theirs.status_code == 404
    bad = client.get("/api/v1/uptime", params={"period": "year"}, headers=headers)
    assert bad.status_code == 422 and "period" in bad.json()["detail"][0]["loc"]
    bad = client.get("/api/v1/uptime", params={"division": "33x"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "division"]
