"""The county overview: per township, open alarms by severity, overdue, supervised, devices
online out of registered and the worst enterprise first; a township sees its own only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from fastapi.testclient import TestClient

from alerts.services import Services
from schemas.families import Severity
from tests.integration.alerts.conftest import TokenFactory
from tests.integration.alerts.seed import NEIGHBOUR, TOWNSHIP, seed_device
from tests.integration.storage.builders import alarm_history
from tests.integration.storage.seeding import store_alarm_events


def _seed(services: Services) -> dict[str, str]:
    now = datetime.now(UTC)
    x, y, z = (f"E{uuid4().hex[:8]}" for _ in range(3))
    village = TOWNSHIP + "001"
    x1, x2 = seed_device(services.store, x, village), seed_device(services.store, x, village)
    y1 = seed_device(services.store, y, village)
    z1 = seed_device(services.store, z, NEIGHBOUR + "001")

    def alarm(
        device: str, enterprise: str, severity: Severity, ago_min: float, **kw: object
    ) -> None:
        events = alarm_history(
            device_id=device, enterprise_id=enterprise, severity=severity,
            division=village if enterprise != z else NEIGHBOUR + "001",
            raised_at=now - timedelta(minutes=ago_min), **kw,  # type: ignore[arg-type]
        )  # fmt: skip
        store_alarm_events(services.store, events)

    alarm(x1, x, Severity.RED, 10)  # not acknowledged after 10 min: overdue (limit 5)
    alarm(x1, x, Severity.ORANGE, 1)
    alarm(x2, x, Severity.YELLOW, 2, supervised=True)
    alarm(x2, x, Severity.YELLOW, 30, condition="offline")  # x2 is offline
    alarm(x1, x, Severity.RED, 60, ack_after=timedelta(minutes=1), close_after=timedelta(minutes=9))
    alarm(y1, y, Severity.ORANGE, 20, ack_after=timedelta(minutes=1))
    alarm(z1, z, Severity.RED, 1)
    return {"x": x, "y": y, "z": z}


def test_a_county_regulator_sees_each_townships_figures_and_worst_enterprises(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    seeded = _seed(services)
    headers = {"Authorization": f"Bearer {token(role='regulator', scope='330106')}"}
    got = client.get("/api/v1/overview", headers=headers)
    assert got.status_code == 200, got.text
    body = got.json()
    towns = {t["township"]: t for t in body["townships"]}
    assert set(towns) == {TOWNSHIP, NEIGHBOUR}
    mine = towns[TOWNSHIP]["figures"]
    assert mine["open_by_severity"] == {"red": 1, "orange": 2, "yellow": 2, "blue": 0}
    assert (mine["open"], mine["overdue"], mine["supervised"]) == (5, 1, 1)
    assert (mine["devices"], mine["online"]) == (3, 2)
    assert mine["online_ratio"] == 2 / 3
    worst = [e["enterprise_id"] for e in towns[TOWNSHIP]["worst_enterprises"]]
    assert worst == [seeded["x"], seeded["y"]]
    assert towns[NEIGHBOUR]["figures"]["open_by_severity"]["red"] == 1
    assert body["total"]["open"] == 6 and body["total"]["devices"] == 4
    assert f"division={TOWNSHIP}" in mine["links"]["red"]
    assert set(body["how_computed"]) >= {"open", "overdue", "online_ratio"}


def test_each_figure_links_to_the_list_behind_it(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    seeded = _seed(services)
    headers = {"Authorization": f"Bearer {token(role='regulator', scope='330106')}"}
    town = client.get("/api/v1/overview", headers=headers).json()["townships"]
    figures = [t["figures"] for t in town]
    figures += [e["figures"] for t in town for e in t["worst_enterprises"]]
    assert any(e["enterprise_id"] == seeded["x"] for t in town for e in t["worst_enterprises"])
    for f in figures:
        expected = {
            "open": f["open"], "overdue": f["overdue"], "supervised": f["supervised"],
            "suppressed": f["suppressed"], **f["open_by_severity"],
            "offline_devices": f["devices"] - f["online"],
        }  # fmt: skip
        for name, count in expected.items():
            listed = client.get(f["links"][name], headers=headers)
            assert listed.status_code == 200, (name, listed.text)
            rows = listed.json()
            assert len(rows if isinstance(rows, list) else rows["items"]) == count, name


def test_a_township_monitor_sees_her_township_only_and_not_the_neighbours(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    _seed(services)
    headers = {"Authorization": f"Bearer {token(scope=TOWNSHIP)}"}
    body = client.get("/api/v1/overview", headers=headers).json()
    assert [t["township"] for t in body["townships"]] == [TOWNSHIP]
    outside = client.get("/api/v1/overview", params={"division": NEIGHBOUR}, headers=headers)
    assert outside.status_code == 404
    gas_only = {
        "Authorization": f"Bearer {token(role='regulator', scope='330106', families=('fire',))}"
    }
    assert client.get("/api/v1/overview", headers=gas_only).json()["total"]["open"] == 0
