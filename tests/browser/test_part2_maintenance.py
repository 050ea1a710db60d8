"""An enterprise declares a maintenance window in the console; an alarm of a listed device
during it is suppressed by the stream worker and listed under the window for the township and
the county; another enterprise does not see the window."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from storage.datastore import Datastore
from tests.browser.conftest import TOWNSHIP_A, Console

LOCAL = ZoneInfo("Asia/Shanghai")  # what the form's datetime-local fields mean


def _log(console: Console, device_id: str) -> list[tuple[str, str | None, str | None]]:
    """The device's events and the recorded windows, to say why nothing was suppressed."""
    with Datastore(console.database_url, max_size=1) as store, store.transaction() as conn:
        rows = conn.execute(
            "SELECT type, body ->> 'suppressed_window', body ->> 'window_id' FROM alarm_events"
            " WHERE device_id = %s ORDER BY position",
            (device_id,),
        ).fetchall()
        windows = conn.execute("SELECT window_id, starts_at::text, ends_at::text"
                               " FROM maintenance_windows").fetchall()  # fmt: skip
    return [*rows, *windows]


def test_a_window_declared_by_the_enterprise_suppresses_an_alarm_seen_by_township_and_county(
    console: Console, open_page
) -> None:
    detector = console.detectors["A2"]
    enterprise = console.account("enterprise", detector.enterprise_id)
    other = console.account("enterprise", console.detectors["B1"].enterprise_id)
    # The worker takes a window only for a device it knows (one that reported since it started).
    detector.publish(console.endpoints, 1.0)
    page = open_page(enterprise)
    page.wait_for_timeout(3_000)
    page.goto(f"{console.url}/console/maintenance")
    start = datetime.now(LOCAL) - timedelta(minutes=1)
    form = page.locator("#declare-window")
    form.locator("[name=devices]").fill(detector.device_id)
    form.locator("[name=reason]").fill("年度标定")
    form.locator("[name=start]").fill(start.strftime("%Y-%m-%dT%H:%M"))
    form.locator("[name=end]").fill((start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    form.locator("button[type=submit]").click()
    declared = page.locator("#declared")
    expect(declared).to_be_visible()
    window_id = declared.get_attribute("data-window-id")

    township = open_page(console.account("monitor", TOWNSHIP_A))
    county = open_page(console.account("regulator", "330106"))
    # The worker learns the window from its declare_maintenance command on Kafka; a reading
    # before that would raise an ordinary alarm (and the open alarm would stay ordinary).
    page.wait_for_timeout(8_000)
    detector.publish(console.endpoints, 60.0)
    suppressed = None
    for _ in range(40):
        township.goto(f"{console.url}/console/maintenance")
        found = township.locator(f"tr[data-window-id='{window_id}'] li[data-alarm-id]")
        if found.count():
            suppressed = found.first.get_attribute("data-alarm-id")
            break
        township.wait_for_timeout(500)
    assert suppressed, f"no alarm was listed under the window: {_log(console, detector.device_id)}"
    row = township.locator(f"tr[data-window-id='{window_id}']")
    expect(row).to_have_attribute("data-current", "true")
    expect(row).to_contain_text("年度标定")
    county.goto(f"{console.url}/console/maintenance")
    expect(county.locator(f"tr[data-window-id='{window_id}'] li[data-alarm-id='{suppressed}']"))\
        .to_have_count(1)  # fmt: skip
    events = [e["type"] for e in console.events(suppressed)]
    assert "Suppressed" in events

    stranger = open_page(other)
    stranger.goto(f"{console.url}/console/maintenance")
    expect(stranger.locator(f"tr[data-window-id='{window_id}']")).to_have_count(0)
    response = stranger.goto(f"{console.url}/console/devices/{detector.device_id}/trend")
    assert response is not None and response.status == 404
