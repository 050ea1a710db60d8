"""The README's console screenshots, taken from a running demo (`./run demo`, then
`.venv/bin/python -m tests.browser.screenshots`): the board in Chinese and English and an
alarm's page, as the demo's township monitor sees them; the overview, a device's trend and the
monthly report, as the demo's county regulator sees them."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from deploy.stack.config import REPO_ROOT, StackConfig
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

DOCS = REPO_ROOT / "docs"


def _review(browser: Browser, base: str, password: str) -> None:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1366, "height": 768},
                                  extra_http_headers={"Accept-Language": "zh-CN"})  # fmt: skip
    page = context.new_page()
    page.goto(f"{base}/console/login")
    page.fill("#username", "county")
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.goto(f"{base}/console/overview")
    page.wait_for_selector("#overview-page[data-live=connected]", timeout=15_000)
    page.screenshot(path=str(DOCS / "console-overview.png"), full_page=True)
    # The detector of the demo's latest gas-level alarm: a trend with something on it.
    page.goto(f"{base}/console/history?state=all&family=gas&condition=gas_level")
    device = page.locator("#history-table tr[data-device-id]").first
    device_id = device.get_attribute("data-device-id") if device.count() else None
    if device_id:
        page.goto(f"{base}/console/devices/{device_id}/trend?range=1h")
        page.wait_for_selector("#trend-chart svg, #trend-chart canvas", timeout=15_000)
        page.wait_for_timeout(1_000)
        page.screenshot(path=str(DOCS / "console-device-trend.png"), full_page=True)
    page.goto(f"{base}/console/reports/monthly")
    page.wait_for_timeout(1_500)
    page.screenshot(path=str(DOCS / "console-monthly-report.png"), full_page=True)
    context.close()


def main() -> int:
    cfg = StackConfig.from_env()
    base = cfg.env()["HW_API_URL"]
    password = cfg.secret("demo-account-beishan")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for lang, name in (("zh-CN", "console-board-zh.png"), ("en", "console-board-en.png")):
            context = browser.new_context(
                locale=lang, timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 768},
                extra_http_headers={"Accept-Language": lang},
            )
            page = context.new_page()
            page.goto(f"{base}/console/login")
            page.fill("#username", "beishan")
            page.fill("#password", password)
            page.click("button[type=submit]")
            page.wait_for_selector("#board[data-live=connected]", timeout=15_000)
            page.wait_for_timeout(1_500)
            page.screenshot(path=str(DOCS / name))
            first = page.locator("#alarm-rows tr[data-alarm-id] a").first
            if lang == "zh-CN" and first.count():
                first.click()
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(1_000)
                page.screenshot(path=str(DOCS / "console-alarm.png"), full_page=True)
            context.close()
        _review(browser, base, cfg.secret("demo-account-county"))
        browser.close()
    for shot in sorted(Path(DOCS).glob("console-*.png")):
        print(shot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
