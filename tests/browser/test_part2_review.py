"""Part 2 stories in a real browser: a county regulator follows the overview's red figure to
the alarm and puts it under supervision (the township sees the mark and cannot lift it); a
device's trend is drawn hourly over 30 days and raw over an hour, with its thresholds and
alarms on the chart; the monthly report page draws its charts."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from storage.datastore import Datastore
from tests.browser.conftest import TOWNSHIP_A, Console
from tests.integration.storage.builders import envelope
from tests.integration.storage.seeding import store_readings

SERIOUS = ("serious", "critical")
# Set to a folder (e.g. docs/screenshots) to keep the pages' screenshots for the README.
SHOTS = os.environ.get("HW_SCREENSHOTS_DIR")


def _serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


def _shot(page: Page, tmp: Path, name: str) -> None:
    page.screenshot(path=str(tmp / f"{name}.png"), full_page=True)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_a_county_regulator_supervises_the_red_alarm_of_the_overview_and_the_township_sees_it(
    console: Console, open_page, tmp_path: Path
) -> None:
    regulator = console.account("regulator", "330106")
    monitor = console.account("monitor", TOWNSHIP_A)
    detector = console.detectors["A1"]

    county = open_page(regulator)
    county.goto(f"{console.url}/console/overview")
    expect(county.locator("#overview-page")).to_have_attribute("data-live", "connected")
    red = county.locator(f"tr[data-township='{TOWNSHIP_A}'] a[data-figure=red]")
    expect(red).to_have_text("0")
    detector.publish(console.endpoints, 60.0)
    # No reload: the page follows the feed and fetches its figures again.
    expect(red).to_have_text("1", timeout=20_000)
    assert _serious_violations(county) == []
    english = open_page(regulator, lang="en")  # this machine's Chromium has no CJK font
    english.goto(f"{console.url}/console/overview")
    _shot(english, tmp_path, "overview")
    red.click()
    row = county.locator("#history-table tr[data-severity=red]")
    expect(row).to_have_count(1)
    alarm_id = row.get_attribute("data-alarm-id")
    assert _serious_violations(county) == []
    row.locator("a").first.click()
    form = county.locator("form[action$='/supervise']")
    form.locator("[name=comment]").fill("挂牌督办：24小时内整改")
    form.locator("[data-action=supervise]").click()
    expect(county.locator("#command-status")).to_have_attribute(
        "data-command-state", "applied", timeout=15_000
    )

    township = open_page(monitor)
    township.goto(f"{console.url}/console/alarms/{alarm_id}")
    expect(township.locator("[data-mark=supervised]")).to_be_visible()
    assert township.locator("[data-action=lift_supervision]").count() == 0
    township.goto(f"{console.url}/console/history?state=open&supervised=true")
    expect(township.locator(f"tr[data-alarm-id='{alarm_id}']")).to_have_count(1)
    supervised = [e["type"] for e in console.events(alarm_id or "")]
    assert "Supervised" in supervised


def test_a_device_trend_draws_hours_over_30_days_and_raw_readings_over_an_hour(
    console: Console, open_page, tmp_path: Path
) -> None:
    monitor = console.account("monitor", TOWNSHIP_A)
    detector = console.detectors["A3"]
    now = datetime.now(UTC)
    with Datastore(console.database_url, max_size=1) as store:
        store_readings(store, [
            envelope(detector.device_id, i + 1, now - timedelta(days=30) + timedelta(hours=3 * i),
                     concentration=5.0 + (i % 24)) for i in range(235)
        ] + [envelope(detector.device_id, 1000 + i, now - timedelta(minutes=55 - i),
                      concentration=8.0 + i % 5) for i in range(50)])  # fmt: skip
    detector.publish(console.endpoints, 60.0)  # a red alarm on the axis
    page = open_page(monitor, lang="en")  # English: this machine's Chromium has no CJK font
    board_row = page.locator(f"tr[data-device-id='{detector.device_id}']")
    expect(board_row).to_have_attribute("data-severity", "red", timeout=15_000)

    page.goto(f"{console.url}/console/devices/{detector.device_id}/trend?range=30d")
    expect(page.locator("#trend-bucket")).to_have_attribute("data-bucket", "1h")
    drawn = page.evaluate("() => window.hwTrendChart.getOption()")
    names = [s["name"] for s in drawn["series"]]
    assert "concentration avg" in names and "concentration min-max" in names
    marks = drawn["series"][-1]
    assert sorted(m["yAxis"] for m in marks["markLine"]["data"]) == [25, 50]
    for _ in range(20):  # the alarm reaches the projection through the sink
        if page.evaluate("() => window.hwTrend.hw.alarms.length") >= 1:
            break
        page.wait_for_timeout(500)
        page.reload()
    assert page.evaluate("() => window.hwTrend.hw.alarms.length") >= 1
    expect(page.locator("#trend-chart svg")).to_have_count(1)
    _shot(page, tmp_path, "device-trend")

    page.goto(f"{console.url}/console/devices/{detector.device_id}/trend?range=1h")
    expect(page.locator("#trend-bucket")).to_have_attribute("data-bucket", "raw")
    raw = page.evaluate("() => window.hwTrend.option.series[0].data.length")
    assert raw >= 50
    assert _serious_violations(page) == []


def test_the_monthly_report_page_draws_its_charts_and_prints_without_navigation(
    console: Console, open_page, tmp_path: Path
) -> None:
    regulator = console.account("regulator", "330106")
    console.detectors["B1"].publish(console.endpoints, 60.0)
    page = open_page(regulator, lang="en")
    page.goto(f"{console.url}/console/reports/monthly")
    alarms = page.locator("#report-figures tr[data-figure=alarms]")
    for _ in range(20):  # the alarm reaches the event log through the sink
        if alarms.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(alarms).to_have_count(1)
    for name in ("alarms", "false_alarms", "uptime"):
        expect(page.locator(f"#chart-{name} svg")).to_have_count(1)
    expect(page.locator("#report-figures tbody tr").first).to_be_visible()
    assert _serious_violations(page) == []
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    _shot(page, tmp_path, "monthly-report")
