"""Declared maintenance windows are recorded (who, when) and listed for the township and the
regulators with the alarms each suppressed; nobody sees another jurisdiction's windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from alerts.services import Services
from schemas.events import AlarmEvent, AlarmRaised, Suppressed
from tests.integration.alerts.conftest import TokenFactory
from tests.integration.alerts.seed import NEIGHBOUR, TOWNSHIP, seed_device
from tests.integration.storage.seeding import store_alarm_events


def _suppressed_alarm(
    device: str, enterprise: str, window_id: str, at: datetime
) -> list[AlarmEvent]:
    common: dict[str, Any] = {
        "alarm_id": f"A{uuid4().hex[:8]}", "device_id": device, "enterprise_id": enterprise,
        "division": TOWNSHIP + "001", "family": "gas", "condition": "gas_level",
        "severity": "orange",
    }  # fmt: skip
    return [
        AlarmRaised(event_id=uuid4().hex, seq=1, occurred_at=at, suppressed_window=window_id,
                    **common),
        Suppressed(event_id=uuid4().hex, seq=2, occurred_at=at, window_id=window_id,
                   reason="maintenance", **common),
    ]  # fmt: skip


def _declare(client: TestClient, headers: dict[str, str], devices: list[str], start: datetime,
             hours: float) -> str:  # fmt: skip
    window_id = f"mw-{uuid4().hex[:8]}"
    body = {
        "devices": devices, "start": start.isoformat(),
        "end": (start + timedelta(hours=hours)).isoformat(), "reason": "detector calibration",
        "window_id": window_id,
    }  # fmt: skip
    response = client.post("/api/v1/maintenance-windows", json=body, headers=headers)
    assert response.status_code == 202, response.text
    return window_id


def test_the_township_and_the_county_see_a_window_its_declarer_and_what_it_suppressed(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    enterprise = f"E{uuid4().hex[:8]}"
    devices = [seed_device(services.store, enterprise, TOWNSHIP + "001") for _ in range(2)]
    own = {"Authorization": f"Bearer {token(role='enterprise', scope=enterprise)}"}
    now = datetime.now(UTC)
    current = _declare(client, own, devices, now - timedelta(hours=1), 4)
    past = _declare(client, own, devices[:1], now - timedelta(days=2), 2)
    _declare(client, own, devices[:1], now - timedelta(days=2), 2)  # another, same devices
    store_alarm_events(
        services.store,
        _suppressed_alarm(devices[1], enterprise, current, now - timedelta(minutes=30)),
    )

    for viewer in (token(scope=TOWNSHIP), token(role="regulator", scope="330106"), token(
            role="enterprise", scope=enterprise)):  # fmt: skip
        listed = client.get("/api/v1/maintenance-windows", headers={
            "Authorization": f"Bearer {viewer}"})  # fmt: skip
        assert listed.status_code == 200, listed.text
        windows = {w["window_id"]: w for w in listed.json()}
        assert current in windows and past in windows
        shown = windows[current]
        assert shown["current"] is True and shown["reason"] == "detector calibration"
        assert shown["declared_role"] == "enterprise" and shown["declared_by"].startswith("u-")
        assert sorted(d["device_id"] for d in shown["devices"]) == sorted(devices)
        assert [a["device_id"] for a in shown["suppressed"]] == [devices[1]]
        assert windows[past]["current"] is False and windows[past]["suppressed"] == []

    township = {"Authorization": f"Bearer {token(scope=TOWNSHIP)}"}
    only_current = client.get(
        "/api/v1/maintenance-windows", params={"state": "current"}, headers=township
    ).json()
    assert current in [w["window_id"] for w in only_current]
    assert past not in [w["window_id"] for w in only_current]


def test_another_township_or_enterprise_does_not_see_the_window(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    enterprise = f"E{uuid4().hex[:8]}"
    device = seed_device(services.store, enterprise, TOWNSHIP + "001")
    own = {"Authorization": f"Bearer {token(role='enterprise', scope=enterprise)}"}
    window = _declare(client, own, [device], datetime.now(UTC), 1)
    for viewer in (token(scope=NEIGHBOUR), token(role="enterprise", scope="E-other"),
                   token(role="regulator", scope="330106", families=("elevator",))):  # fmt: skip
        listed = client.get(
            "/api/v1/maintenance-windows", headers={"Authorization": f"Bearer {viewer}"}
        )
        assert window not in [w["window_id"] for w in listed.json()]
    bad = client.get("/api/v1/maintenance-windows", params={"state": "soon"}, headers=own)
    assert bad.status_code == 422 and "state" in bad.json()["detail"][0]["loc"]
