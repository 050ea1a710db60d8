"""GET /api/v1/alarms with the history filters: scope first, then the filters, CSV = the pages."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from alerts.services import Services
from schemas.families import Family, Severity
from storage.history import CSV_COLUMNS
from tests.integration.alerts.conftest import TokenFactory
from tests.integration.storage.builders import alarm_history, rid
from tests.integration.storage.seeding import store_alarm_events

T0 = datetime(2026, 11, 2, tzinfo=UTC)
TOWN = "330106001"


def _seed(services: Services) -> dict[str, Any]:
    device = rid("d-")
    alarms = []
    for i in range(30):
        alarms.append(
            alarm_history(
                device_id=device if i % 3 == 0 else rid("d-"),
                raised_at=T0 + timedelta(hours=i),
                family=Family.GAS,
                severity=Severity.RED if i % 2 else Severity.ORANGE,
                division=(TOWN if i < 24 else "330106002") + "001",
                enterprise_id="E-one" if i % 2 else "E-two",
                ack_after=timedelta(minutes=1),
                close_after=timedelta(hours=1),
                cause="false_alarm" if i % 4 == 1 else "real_leak",
            )
        )
    store_alarm_events(services.store, [e for a in alarms for e in a])
    return {"device": device, "alarms": alarms}


def _pages(
    client: TestClient, headers: dict[str, str], params: dict[str, Any]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        got = client.get(
            "/api/v1/alarms",
            params={**params, **({"cursor": cursor} if cursor else {})},
            headers=headers,
        )
        assert got.status_code == 200, got.text
        rows += got.json()["items"]
        cursor = got.json()["next_cursor"]
        if cursor is None:
            return rows


def test_a_regulator_finds_last_weeks_false_alarms_of_one_enterprise_and_the_csv_equals_them(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    seeded = _seed(services)
    headers = {"Authorization": f"Bearer {token(role='regulator', scope='330106')}"}
    params = {
        "state": "all",
        "enterprise": "E-one",
        "cause": "false_alarm",
        "since": T0.isoformat(),
        "until": (T0 + timedelta(days=7)).isoformat(),
        "limit": 2,
    }
    rows = _pages(client, headers, params)
    want = sorted(
        (a for a in seeded["alarms"] if a[0].enterprise_id == "E-one"
         and any(getattr(e, "cause", None) == "false_alarm" for e in a)),
        key=lambda a: a[0].occurred_at, reverse=True,
    )  # fmt: skip
    assert [r["alarm_id"] for r in rows] == [a[0].alarm_id for a in want]
    assert len(rows) >= 3

    exported = client.get("/api/v1/alarms", params={**params, "format": "csv"}, headers=headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert tuple(table[0]) == CSV_COLUMNS
    assert [line[0] for line in table[1:]] == [r["alarm_id"] for r in rows]
    by_id = {r["alarm_id"]: r for r in rows}
    for line in table[1:]:
        row = by_id[line[0]]
        for column, value in zip(CSV_COLUMNS, line, strict=True):
            expected = row[column]
            if isinstance(expected, str) and column.endswith("_at"):
                assert datetime.fromisoformat(value) == datetime.fromisoformat(expected)
            else:
                assert value == ("" if expected is None else str(expected)), column


def test_a_monitor_filters_one_device_inside_her_township_only(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    seeded = _seed(services)
    headers = {"Authorization": f"Bearer {token(role='monitor', scope=TOWN)}"}
    rows = _pages(client, headers, {"state": "all", "device": seeded["device"]})
    want = [a[0].alarm_id for a in reversed(seeded["alarms"]) if a[0].device_id == seeded["device"]
            and a[0].division.startswith(TOWN)]  # fmt: skip
    assert [r["alarm_id"] for r in rows] == want
    assert rows[0]["cause"] in ("false_alarm", "real_leak") and rows[0]["acknowledged_at"]


def test_an_enterprise_cannot_search_another_enterprises_alarms(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    _seed(services)
    headers = {"Authorization": f"Bearer {token(role='enterprise', scope='E-two')}"}
    assert _pages(client, headers, {"state": "all", "enterprise": "E-one"}) == []
    own = _pages(client, headers, {"state": "all"})
    assert own and {r["enterprise_id"] for r in own} == {"E-two"}


def test_a_malformed_filter_is_422_naming_the_field(
    client: TestClient, token: TokenFactory
) -> None:
    headers = {"Authorization": f"Bearer {token()}"}
    for params, field in (
        ({"cause": "arson"}, "cause"),
        ({"device": "a b"}, "device"),
        ({"condition": "DROP TABLE"}, "condition"),
        ({"since": "yesterday"}, "since"),
    ):
        got = client.get("/api/v1/alarms", params=params, headers=headers)
        assert got.status_code == 422, params
        assert got.json()["detail"][0]["loc"][-2:] in (["query", field], [field, 0]) or (
            field in got.json()["detail"][0]["loc"]
        )
