"""A device's trend: readings in the bucket the range calls for, its thresholds, its alarms and
its offline episodes, for a caller who may see the device (else 404)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from fastapi.testclient import TestClient

from alerts.services import Services
from schemas.families import Severity
from tests.integration.alerts.conftest import TokenFactory
from tests.integration.alerts.seed import NEIGHBOUR, TOWNSHIP, seed_device
from tests.integration.storage.builders import alarm_history, envelope
from tests.integration.storage.seeding import store_alarm_events, store_readings

END = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def _seed(services: Services) -> str:
    device = seed_device(services.store, f"E{uuid4().hex[:8]}", TOWNSHIP + "001")
    with services.store.transaction() as conn:
        conn.execute("UPDATE devices SET thresholds = '{\"level1\": 20}' WHERE id = %s", (device,))
    sparse = [END - timedelta(days=30) + timedelta(hours=6 * i) for i in range(118)]
    dense = [END - timedelta(minutes=59) + timedelta(minutes=i) for i in range(59)]
    times = sparse + dense
    store_readings(
        services.store,
        [envelope(device, i + 1, ts, concentration=float(i % 40)) for i, ts in enumerate(times)],
    )
    gas = alarm_history(
        device_id=device, raised_at=END - timedelta(days=3), severity=Severity.RED,
        ack_after=timedelta(minutes=2), close_after=timedelta(hours=1),
    )  # fmt: skip
    offline = alarm_history(
        device_id=device, raised_at=END - timedelta(days=2), condition="offline",
        severity=Severity.YELLOW, close_after=timedelta(hours=2),
    )  # fmt: skip
    store_alarm_events(services.store, gas + offline)
    return device


def test_a_30_day_range_comes_in_hours_and_a_1_hour_range_raw(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    device = _seed(services)
    headers = {"Authorization": f"Bearer {token(scope=TOWNSHIP)}"}
    month = {"from": (END - timedelta(days=30)).isoformat(), "to": END.isoformat()}
    got = client.get(f"/api/v1/devices/{device}/trend", params=month, headers=headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["readings"]["bucket"] == "1h"
    items = body["readings"]["items"]
    assert len(items) == 118 + 1  # one bucket per sparse reading, the dense hour in one
    last = items[-1]["signals"]["concentration"]
    assert last["count"] == 59 and last["min"] <= last["avg"] <= last["max"]
    lines = {(t["severity"], t["value"], t["source"]) for t in body["thresholds"]}
    assert lines == {("orange", 20.0, "device"), ("red", 50.0, "default")}
    assert [(a["condition"], a["severity"]) for a in body["alarms"]] == [
        ("gas_level", "red"),
        ("offline", "yellow"),
    ]
    assert body["alarms"][0]["closed_at"] is not None
    assert len(body["offline"]) == 1 and body["offline"][0]["ended_at"] is not None

    hour = {"from": (END - timedelta(hours=1)).isoformat(), "to": END.isoformat()}
    raw = client.get(f"/api/v1/devices/{device}/readings", params=hour, headers=headers).json()
    assert raw["bucket"] == "raw" and len(raw["items"]) == 59
    assert (
        client.get(
            f"/api/v1/devices/{device}/readings", params={**month, "bucket": "1d"}, headers=headers
        ).json()["bucket"]
        == "1d"
    )


def test_another_townships_device_is_not_found_and_a_reversed_range_is_422(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    device = _seed(services)
    theirs = {"Authorization": f"Bearer {token(scope=NEIGHBOUR)}"}
    for path in ("trend", "readings"):
        assert client.get(f"/api/v1/devices/{device}/{path}", headers=theirs).status_code == 404
    other_enterprise = {"Authorization": f"Bearer {token(role='enterprise', scope='E-x')}"}
    assert (
        client.get(f"/api/v1/devices/{device}/trend", headers=other_enterprise).status_code == 404
    )
    mine = {"Authorization": f"Bearer {token(scope=TOWNSHIP)}"}
    reversed_range = {"from": END.isoformat(), "to": (END - timedelta(hours=1)).isoformat()}
    got = client.get(f"/api/v1/devices/{device}/trend", params=reversed_range, headers=mine)
    assert got.status_code == 422 and got.json()["detail"][0]["loc"] == ["query", "to"]
