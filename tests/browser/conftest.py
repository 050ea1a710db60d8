"""Browser tests: Debian's Chromium (/usr/bin/chromium) driven by Playwright for Python, against
a console of the test's own — alerts, gateway, stream worker and sinks processes on the test's
topics and database — so each story runs the whole pipeline from MQTT to the page.

Every page records the requests it makes; a request to anything outside the service fails the
test (safety offices often run on closed networks: nothing may come from a CDN).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from alerts.accounts.accounts import new_account
from schemas.families import Family, Industry
from schemas.registry import DeviceRecord, EnterpriseRecord, Registry, Thresholds
from schemas.settings import Endpoints
from storage.accounts import AccountRepository
from storage.datastore import Datastore
from storage.registry import RegistryRepository
from tests.conftest import endpoints_env
from tests.integration.ingest.conftest import Gateways
from tests.support.processes import ServiceProcess, free_port

CHROMIUM = "/usr/bin/chromium"
# Without these Chromium reaches for Google's services at start; this machine refuses them.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
PASSWORD = "correct horse battery staple"
TOWNSHIP_A, TOWNSHIP_B = "330106001", "330106002"
# A level-2 reading is red at once and clears at once: the stories need no waiting on holds.
QUICK = Thresholds(raise_after_s=0, raise_after_s_level1=0, clear_after_s=0)


# Per module, not per session: sync Playwright keeps an asyncio loop running in this thread while
# it is open, and every later test that calls asyncio.run() would fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Detector:
    device_id: str
    enterprise_id: str
    password: str
    seq: int = 0

    def publish(self, endpoints: Endpoints, concentration: float) -> None:
        self.seq += 1
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5,
            client_id=f"dev-{uuid.uuid4().hex[:8]}",
        )
        client.username_pw_set(self.enterprise_id, self.password)
        client.connect(endpoints.mqtt_host, endpoints.mqtt_port)
        client.loop_start()
        body = {"ts": int(time.time() * 1000), "seq": self.seq,
                "concentration": concentration, "unit": "%LEL"}
        topic = f"hw/v1/{self.enterprise_id}/{self.device_id}/telemetry"
        client.publish(topic, json.dumps(body), qos=1).wait_for_publish(10)
        client.disconnect()
        client.loop_stop()


@dataclass
class Console:
    url: str
    database_url: str
    endpoints: Endpoints
    detectors: dict[str, Detector]  # township -> list by name "A1", "A2", "B1"
    start_worker: Callable[[], ServiceProcess]
    worker: ServiceProcess | None = None
    accounts: AccountRepository | None = None
    contexts: list[BrowserContext] = field(default_factory=list)

    def account(self, role: str, scope: str, families: tuple[str, ...] = ()) -> str:
        username = f"{role[:3]}-{uuid.uuid4().hex[:6]}"
        assert self.accounts is not None
        self.accounts.add(new_account(username, role, scope, families, username, PASSWORD))
        return username

    def events(self, alarm_id: str) -> list[dict[str, Any]]:
        with Datastore(self.database_url, max_size=1) as store, store.transaction() as conn:
            rows = conn.execute(
                "SELECT body FROM alarm_events WHERE alarm_id = %s ORDER BY seq", (alarm_id,)
            ).fetchall()
        return [r[0] for r in rows]


def _registry(site_a: str, site_b: str, suffix: str) -> Registry:
    def gas(device: str, enterprise: str) -> DeviceRecord:
        return DeviceRecord(id=device, enterprise=enterprise, family=Family.GAS,
                            type="combustible", location=f"罐区 {device}", report_interval_s=10,
                            offline_after_s=600, thresholds=QUICK)

    return Registry(
        enterprises=(
            EnterpriseRecord(id=site_a, name="西溪化工有限公司", division=TOWNSHIP_A + "001",
                             industry=Industry.CHEMICAL),
            EnterpriseRecord(id=site_b, name="留下燃气站", division=TOWNSHIP_B + "001",
                             industry=Industry.GAS_SUPPLY),
        ),
        devices=(
            gas(f"GD-A1-{suffix}", site_a), gas(f"GD-A2-{suffix}", site_a),
            gas(f"GD-A3-{suffix}", site_a), gas(f"GD-B1-{suffix}", site_b),
        ),
    )


@pytest.fixture
def console_env() -> dict[str, str]:
    """Extra environment for every process of the console under test (a test may add to it
    before asking for `console`)."""
    return {}


@pytest.fixture
def console(
    endpoints: Endpoints,
    database_url: str,
    mqtt_enterprise: Callable[..., tuple[str, str]],
    service_process: Callable[..., ServiceProcess],
    console_env: dict[str, str],
) -> Iterator[Console]:
    suffix = uuid.uuid4().hex[:5]
    site_a, pass_a = mqtt_enterprise()
    site_b, pass_b = mqtt_enterprise()
    registry = _registry(site_a, site_b, suffix)
    store = Datastore(database_url, max_size=2)
    RegistryRepository(store).replace_all(registry, {})
    env = {**endpoints_env(endpoints), "HW_DATABASE_URL": database_url, **console_env}

    gateway_env = {**env, "HW_INGEST_SHARED_GROUP": f"t{suffix}",
                   "HW_INGEST_REGISTRY_REFRESH_S": "0.5"}
    Gateways(gateway_env, service_process).start()

    worker_port = free_port()
    worker_env = {**env, "HW_STREAMS_REGISTRY": "database", "HW_STREAMS_APP_ID": f"b-{suffix}",
                  "HW_STREAMS_HTTP_PORT": str(worker_port)}

    def start_worker() -> ServiceProcess:
        proc = service_process(["streams", "worker"], worker_env, worker_port)
        return proc.wait_ready(timeout=90)

    sink_port = free_port()
    service_process(
        ["streams.sinks"],
        {**env, "HW_SINK_GROUP_ID": f"sink-{suffix}", "HW_SINK_HTTP_PORT": str(sink_port)},
        sink_port,
    )
    alerts, url = _start_alerts(env, service_process, console_env)
    found = Console(
        url, database_url, endpoints, {}, start_worker, accounts=AccountRepository(store)
    )
    for device in registry.devices:
        name = device.id.split("-")[1]
        password = pass_a if device.enterprise == site_a else pass_b
        found.detectors[name] = Detector(device.id, device.enterprise, password)
    found.worker = start_worker()
    alerts.wait_ready(timeout=60)
    yield found
    for context in found.contexts:
        context.close()
    store.close()


def _start_alerts(
    env: dict[str, str],
    service_process: Callable[..., ServiceProcess],
    overrides: dict[str, str],
) -> tuple[ServiceProcess, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    defaults = {"HW_API_URL": url, "HW_API_TOKEN_SECRET": uuid.uuid4().hex,
                "HW_SSE_HEARTBEAT_S": "1", "HW_CONSOLE_LOGIN_DELAY_S": "0.01"}
    return service_process(["alerts"], {**env, **defaults, **overrides}, port), url


@pytest.fixture
def console_web(
    endpoints: Endpoints,
    database_url: str,
    service_process: Callable[..., ServiceProcess],
    console_env: dict[str, str],
) -> Iterator[Console]:
    """The alerts service alone (login, sessions, pages) on the test's database."""
    store = Datastore(database_url, max_size=2)
    env = {**endpoints_env(endpoints), "HW_DATABASE_URL": database_url, **console_env}
    alerts, url = _start_alerts(env, service_process, console_env)
    alerts.wait_ready(timeout=60)
    yield Console(url, database_url, endpoints, {}, lambda: alerts,
                  accounts=AccountRepository(store))
    store.close()


def _outside(url: str, base: str) -> bool:
    return not (url.startswith(base + "/") or url == base or url.startswith(("data:", "blob:")))


@pytest.fixture
def open_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """Factory: `open_page(username=None, lang="zh-CN")` -> a page (logged in when a username is
    given) whose every request is checked to stay inside the service."""
    pages: list[tuple[Page, list[str]]] = []
    errors: list[str] = []
    wanted = "console_web" if "console_web" in request.fixturenames else "console"
    console: Console = request.getfixturevalue(wanted)

    def make(username: str | None = None, lang: str = "zh-CN") -> Page:
        context = browser.new_context(locale=lang, viewport={"width": 1366, "height": 768},
                                      extra_http_headers={"Accept-Language": lang})
        console.contexts.append(context)
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        pages.append((page, requested))
        if username is not None:
            log_in(page, console.url, username)
        return page

    yield make
    for _page, requested in pages:
        outside = [u for u in requested if _outside(u, console.url)]
        assert not outside, f"requests left the service: {outside}"
    assert not errors, f"scripts failed: {errors}"


def log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
