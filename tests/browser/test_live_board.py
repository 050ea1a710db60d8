"""The board stays true through a dropped network and a crashed stream worker, and shows a
deadline passing: what a monitor sees live, without reloading."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TOWNSHIP_A, Console


def _rows(page) -> list[str]:
    return page.eval_on_selector_all(  # type: ignore[no-any-return]
        "#alarm-rows tr[data-alarm-id]", "rows => rows.map(r => r.dataset.alarmId)"
    )


def test_after_a_network_drop_the_alarms_raised_meanwhile_appear_once(
    console: Console, open_page
) -> None:
    page = open_page(console.account("monitor", TOWNSHIP_A))
    board = page.locator("#board")
    expect(board).to_have_attribute("data-live", "connected", timeout=15_000)
    page.context.set_offline(True)
    expect(board).to_have_attribute("data-live", "reconnecting", timeout=5_000)
    for name in ("A1", "A2"):
        console.detectors[name].publish(console.endpoints, 60.0)
    page.wait_for_timeout(3_000)  # both alarms are raised and stored meanwhile
    assert _rows(page) == []
    page.context.set_offline(False)
    expect(board).to_have_attribute("data-live", "connected", timeout=15_000)
    for name in ("A1", "A2"):
        row = page.locator(f"tr[data-device-id='{console.detectors[name].device_id}']")
        expect(row).to_have_count(1, timeout=20_000)
    page.wait_for_timeout(1_000)
    rows = _rows(page)
    assert len(rows) == 2 and len(set(rows)) == 2
    assert page.evaluate("document.body.dataset.repeats || '0'") == "0"


def test_a_worker_killed_during_a_burst_shows_no_event_twice(console: Console, open_page) -> None:
    page = open_page(console.account("monitor", TOWNSHIP_A))
    expect(page.locator("#board")).to_have_attribute("data-live", "connected", timeout=15_000)
    detectors = [console.detectors[n] for n in ("A1", "A2", "A3")]
    for level in (30.0, 60.0, 35.0, 62.0):  # orange, red, orange, red: a burst of changes
        for detector in detectors:
            detector.publish(console.endpoints, level)
    assert console.worker is not None
    console.worker.kill()  # kill -9 in the middle: its last outputs are sent again
    console.worker = console.start_worker()
    for detector in detectors:
        detector.publish(console.endpoints, 64.0)
    for detector in detectors:
        row = page.locator(f"tr[data-device-id='{detector.device_id}']")
        expect(row).to_have_attribute("data-severity", "red", timeout=30_000)
    page.wait_for_timeout(2_000)
    rows = _rows(page)
    assert len(rows) == 3 and len(set(rows)) == 3
    assert page.evaluate("document.body.dataset.repeats || '0'") == "0"
    page.reload()
    assert sorted(_rows(page)) == sorted(rows)


@pytest.fixture
def console_env() -> dict[str, str]:
    # Deadlines of seconds, for the worker (escalation) and the console (countdown) alike.
    return {"HW_DEADLINE_RED_ACK_S": "4", "HW_DEADLINE_RED_RESOLVE_S": "600"}


def test_a_red_alarm_past_its_acknowledge_deadline_is_overdue_and_escalated(
    console: Console, open_page
) -> None:
    page = open_page(console.account("monitor", TOWNSHIP_A))
    expect(page.locator("#board")).to_have_attribute("data-live", "connected", timeout=15_000)
    console.detectors["A3"].publish(console.endpoints, 60.0)
    console.detectors["A1"].publish(console.endpoints, 30.0)  # an orange one, far from overdue
    red = page.locator(f"tr[data-device-id='{console.detectors['A3'].device_id}']")
    expect(red).to_have_attribute("data-severity", "red", timeout=20_000)
    expect(red).to_have_class("sev-row-red overdue", timeout=20_000)
    expect(red.locator(".countdown")).to_contain_text("已超时")
    expect(red).to_have_attribute("data-escalation", "county", timeout=30_000)
    expect(red.locator("[data-field=marks]")).to_contain_text("已升级至县/区")
    first = page.locator("#alarm-rows tr[data-alarm-id]").first
    expect(first).to_have_attribute("data-device-id", console.detectors["A3"].device_id)
