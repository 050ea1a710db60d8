"""Devices and their readings are filtered by the caller's scope like alarms are."""

from __future__ import annotations

from uuid import uuid4

from fastapi.testclient import TestClient

from alerts.services import Services
from tests.integration.alerts.conftest import TokenFactory
from tests.integration.alerts.seed import NEIGHBOUR, TOWNSHIP, seed_device


def test_a_monitor_lists_and_reads_its_townships_devices_only(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    mine = seed_device(services.store, f"E{uuid4().hex[:8]}", TOWNSHIP + "001")
    theirs = seed_device(services.store, f"E{uuid4().hex[:8]}", NEIGHBOUR + "001")
    headers = {"Authorization": f"Bearer {token(scope=TOWNSHIP)}"}

    listed = client.get("/api/v1/devices", headers=headers)
    assert listed.status_code == 200
    assert [d["device_id"] for d in listed.json()] == [mine]
    assert client.get(f"/api/v1/devices/{mine}/readings", headers=headers).status_code == 200
    assert client.get(f"/api/v1/devices/{theirs}/readings", headers=headers).status_code == 404


def test_a_fire_regulator_does_not_see_gas_detectors(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    gas = seed_device(services.store, f"E{uuid4().hex[:8]}", TOWNSHIP + "001", family="gas")
    fire = seed_device(services.store, f"E{uuid4().hex[:8]}", TOWNSHIP + "001", family="fire")
    headers = {
        "Authorization": f"Bearer {token(role='regulator', scope='330106', families=('fire',))}"
    }
    listed = client.get("/api/v1/devices", headers=headers).json()
    assert [d["device_id"] for d in listed] == [fire]
    assert client.get(f"/api/v1/devices/{gas}/readings", headers=headers).status_code == 404


def test_a_reading_bucket_that_does_not_exist_is_422_naming_it(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    device = seed_device(services.store, f"E{uuid4().hex[:8]}", TOWNSHIP + "001")
    response = client.get(
        f"/api/v1/devices/{device}/readings",
        params={"bucket": "1w"},
        headers={"Authorization": f"Bearer {token(scope=TOWNSHIP)}"},
    )
    assert response.status_code == 422
    assert "bucket" in response.json()["detail"][0]["loc"]
