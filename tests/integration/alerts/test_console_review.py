"""The review rooms of the console (overview, history, trend, reports, uptime, maintenance) for
a logged-in person: the same answers as the API for the same scope, out of scope not found."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from alerts.services import Services
from schemas.families import Severity
from tests.integration.alerts.conftest import Login
from tests.integration.alerts.seed import NEIGHBOUR, TOWNSHIP, seed_device
from tests.integration.storage.builders import alarm_history, envelope
from tests.integration.storage.seeding import store_alarm_events, store_readings


def _page_data(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


def _seed(services: Services) -> dict[str, str]:
    now = datetime.now(UTC)
    mine, theirs = f"E{uuid4().hex[:8]}", f"E{uuid4().hex[:8]}"
    device = seed_device(services.store, mine, TOWNSHIP + "001")
    other = seed_device(services.store, theirs, NEIGHBOUR + "001")
    store_readings(services.store, [
        envelope(device, i + 1, now - timedelta(days=30) + timedelta(hours=5 * i),
                 concentration=float(i % 30)) for i in range(140)
    ] + [envelope(device, 1000 + i, now - timedelta(minutes=50 - i), concentration=10.0 + i)
         for i in range(40)])  # fmt: skip
    red = alarm_history(device_id=device, enterprise_id=mine, division=TOWNSHIP + "001",
                        severity=Severity.RED, raised_at=now - timedelta(minutes=20))  # fmt: skip
    old = alarm_history(device_id=device, enterprise_id=mine, division=TOWNSHIP + "001",
                        raised_at=now - timedelta(days=3), ack_after=timedelta(minutes=2),
                        close_after=timedelta(hours=1), cause="false_alarm")  # fmt: skip
    far = alarm_history(device_id=other, enterprise_id=theirs, division=NEIGHBOUR + "001",
                        severity=Severity.RED, raised_at=now - timedelta(minutes=5))  # fmt: skip
    store_alarm_events(services.store, red + old + far)
    return {"device": device, "other": other, "mine": mine, "theirs": theirs,
            "red": red[0].alarm_id, "old": old[0].alarm_id, "far": far[0].alarm_id}  # fmt: skip


def test_a_county_regulator_follows_a_townships_red_figure_to_its_alarms_and_exports_them(
    login: Login, services: Services
) -> None:
    seeded = _seed(services)
    client = login("regulator", "330106")
    page = client.get("/console/overview")
    assert page.status_code == 200, page.text
    row = re.search(rf'<tr data-township="{TOWNSHIP}">(.*?)</tr>', page.text, re.S)
    assert row is not None
    link = re.search(
        r'<a class="fig fig-red hot" href="([^"]+)" data-figure="red">1</a>', row.group(1)
    )
    assert link is not None, row.group(1)
    history = client.get(link.group(1).replace("&amp;", "&"))
    assert history.status_code == 200
    shown = re.findall(r'<tr class="sev-row-\w+" data-alarm-id="([^"]+)"', history.text)
    assert shown == [seeded["red"]]
    csv_link = re.search(r'href="(/console/history\.csv\?[^"]*)"', history.text)
    assert csv_link is not None
    exported = client.get(csv_link.group(1).replace("&amp;", "&"))
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["alarm_id"] for r in rows] == shown
    figures = client.get("/console/overview?part=figures")
    assert figures.status_code == 200 and "<html" not in figures.text  # the live refresh


def test_last_weeks_false_alarms_of_one_enterprise_equal_the_csv(
    login: Login, services: Services
) -> None:
    seeded = _seed(services)
    client = login("regulator", "330106")
    today = datetime.now(UTC).date()
    query = {"state": "all", "cause": "false_alarm", "enterprise": seeded["mine"],
             "since": (today - timedelta(days=7)).isoformat(),
             "until": today.isoformat()}  # fmt: skip
    page = client.get("/console/history", params=query)
    shown = re.findall(r'data-alarm-id="([^"]+)"', page.text)
    assert shown == [seeded["old"]]
    exported = client.get("/console/history.csv", params=query)
    assert [r[0] for r in csv.reader(io.StringIO(exported.content.decode("utf-8-sig")))][
        1:
    ] == shown


def test_a_device_trend_is_hourly_over_30_days_and_raw_over_an_hour_with_thresholds_and_alarms(
    login: Login, services: Services
) -> None:
    seeded = _seed(services)
    client = login("monitor", TOWNSHIP)
    month = client.get(f"/console/devices/{seeded['device']}/trend", params={"range": "30d"})
    assert month.status_code == 200, month.text
    data = _page_data(month.text)
    hw = data["hw"]
    assert isinstance(hw, dict) and hw["bucket"] == "1h"
    assert set(hw["alarms"]) == {seeded["red"], seeded["old"]}
    assert [t["value"] for t in hw["thresholds"]] == [25.0, 50.0]
    option = data["option"]
    assert isinstance(option, dict)
    names = [s["name"] for s in option["series"]]
    assert names[:3] == ["concentration min", "concentration min-max", "concentration avg"]
    marks = option["series"][-1]
    assert [m["yAxis"] for m in marks["markLine"]["data"]] == [25.0, 50.0]
    assert len(marks["markArea"]["data"]) == 2  # the two alarms on the time axis
    hour = _page_data(client.get(f"/console/devices/{seeded['device']}/trend?range=1h").text)
    assert isinstance(hour["hw"], dict) and hour["hw"]["bucket"] == "raw"
    assert isinstance(hour["option"], dict) and len(hour["option"]["series"][0]["data"]) == 40


def test_a_trend_range_can_end_on_a_past_day(login: Login, services: Services) -> None:
    seeded = _seed(services)
    client = login("monitor", TOWNSHIP)
    path = f"/console/devices/{seeded['device']}/trend"
    recent = _page_data(client.get(path, params={"range": "7d"}).text)["hw"]
    assert isinstance(recent, dict) and set(recent["alarms"]) == {seeded["red"], seeded["old"]}
    local_day = (datetime.now(UTC) + timedelta(hours=8)).date() - timedelta(days=5)
    page = client.get(path, params={"range": "7d", "until": local_day.isoformat()})
    assert page.status_code == 200, page.text
    assert f'value="{local_day.isoformat()}"' in page.text
    data = _page_data(page.text)
    hw, option = data["hw"], data["option"]
    assert isinstance(hw, dict) and hw["alarms"] == []  # both alarms are after that day
    assert isinstance(option, dict)
    stamps = [point[0] for point in option["series"][2]["data"]]
    assert stamps and max(stamps) < (datetime.now(UTC) - timedelta(days=4)).isoformat()


def test_the_monthly_report_page_shows_the_figures_of_its_csv(
    login: Login, services: Services
) -> None:
    _seed(services)
    client = login("regulator", "330106")
    page = client.get("/console/reports/monthly")
    assert page.status_code == 200, page.text
    on_page = re.findall(
        r'<tr data-figure="([^"]*)" data-family="([^"]*)" data-severity="([^"]*)"'
        r' data-enterprise="([^"]*)" data-measure="([^"]*)" data-value="([^"]*)"',
        page.text,
    )
    link = re.search(r'href="(/console/reports/monthly\.csv\?[^"]*)"', page.text)
    assert link is not None
    exported = client.get(link.group(1).replace("&amp;", "&"))
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    in_csv = [(r["figure"], r["family"], r["severity"], r["enterprise"], r["measure"], r["value"])
              for r in rows]  # fmt: skip
    assert on_page and [r[:5] for r in on_page] == [r[:5] for r in in_csv]
    for shown, exported_row in zip(on_page, in_csv, strict=True):
        assert shown[5] == exported_row[5] or float(shown[5]) == pytest.approx(
            float(exported_row[5])
        )
    assert all(r["how_computed"] for r in rows)


def test_an_enterprise_declares_a_window_confirming_over_a_live_red_alarm_and_the_township_sees_it(
    login: Login, services: Services
) -> None:
    seeded = _seed(services)
    client = login("enterprise", seeded["mine"])
    form = client.get("/console/maintenance").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    start = datetime.now().replace(microsecond=0)
    body = {"csrf_token": token.group(1), "devices": seeded["device"], "reason": "calibration",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat()}  # fmt: skip
    asked = client.post("/console/maintenance", data=body, follow_redirects=False)
    assert asked.status_code == 200 and 'id="red-warning"' in asked.text
    assert seeded["red"] in asked.text
    done = client.post("/console/maintenance", data={**body, "confirm_red": "yes"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    window = done.headers["location"].split("declared=")[1]
    township = login("monitor", TOWNSHIP)
    assert f'data-window-id="{window}"' in township.get("/console/maintenance").text
    neighbour = login("monitor", NEIGHBOUR)
    assert f'data-window-id="{window}"' not in neighbour.get("/console/maintenance").text


@pytest.mark.parametrize("role,scope", [("monitor", NEIGHBOUR), ("enterprise", "E-other"),
                                        ("regulator", "330107")])  # fmt: skip
def test_out_of_scope_pages_are_not_found_as_in_the_api(
    login: Login, services: Services, role: str, scope: str
) -> None:
    seeded = _seed(services)
    client = login(role, scope)
    for path in (f"/console/devices/{seeded['device']}/trend",
                 f"/console/uptime?enterprise={seeded['mine']}",
                 f"/console/overview?division={TOWNSHIP}",
                 f"/console/reports/monthly?division={TOWNSHIP}",
                 f"/console/alarms/{seeded['red']}"):  # fmt: skip
        if role == "enterprise" and "division=" in path:
            continue  # an enterprise has no division to step outside of
        assert client.get(path).status_code == 404, path
    listed = client.get("/console/history", params={"state": "all"})
    assert seeded["red"] not in listed.text


def test_an_enterprise_sees_its_devices_and_how_its_alarms_were_handled_on_one_sheet(
    login: Login, services: Services
) -> None:
    seeded = _seed(services)
    client = login("enterprise", seeded["mine"])
    page = client.get("/console/enterprise")
    assert page.status_code == 200, page.text
    assert re.findall(r'<tr data-device-id="([^"]+)"', page.text) == [seeded["device"]]
    shown = re.findall(r'data-alarm-id="([^"]+)"', page.text)
    assert shown == [seeded["red"], seeded["old"]]
    assert "data-action" not in page.text  # nothing to act on here
    assert client.get(f"/console/enterprise?enterprise={seeded['theirs']}").status_code == 404
    alarm = client.get(f"/console/alarms/{seeded['red']}")
    assert alarm.status_code == 200 and "data-action" not in alarm.text  # the township acts
    csrf = _page_data(alarm.text)["csrf"]
    json_only = {"accept": "application/json"}
    refused = client.post(f"/console/alarms/{seeded['red']}/acknowledge",
                          data={"csrf_token": csrf}, headers=json_only)  # fmt: skip
    assert refused.status_code == 403, refused.text
    elsewhere = client.post(f"/console/alarms/{seeded['far']}/acknowledge",
                            data={"csrf_token": csrf}, headers=json_only)  # fmt: skip
    assert elsewhere.status_code == 404
    township = login("monitor", TOWNSHIP)
    assert township.get(f"/console/enterprise?enterprise={seeded['mine']}").status_code == 200
    assert township.get(f"/console/enterprise?enterprise={seeded['theirs']}").status_code == 404
