"""A flapping device: twenty alarms in two minutes reach each contact at most `flap_limit`
times, plus one summary when the window ends (instead of twenty messages)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pydantic import SecretStr

from alerts.notify.contacts import Contact
from storage.datastore import Datastore
from tests.integration.alerts.notify_support import WHEN, fast_config, raised, township_office, wire
from tests.integration.alerts.robot_receiver import RobotReceiver, serve_robot

WINDOW_S, LIMIT = 2.0, 3


@pytest.fixture
def store(database_url: str) -> Iterator[Datastore]:
    with Datastore(database_url, max_size=4) as opened:
        yield opened


@pytest.fixture
def robot() -> Iterator[RobotReceiver]:
    with serve_robot() as started:
        yield started


def _contents(robot: RobotReceiver, key: str) -> list[str]:
    return [r.json()["markdown"]["content"] for r in robot.accepted() if r.query["key"] == key]


def test_twenty_alarms_in_two_minutes_give_each_contact_the_limit_and_one_summary(
    store: Datastore, robot: RobotReceiver
) -> None:
    contacts = tuple(
        Contact(name=n, channel="wecom", url=SecretStr(robot.url(f"/send?key={n}"))) for n in "AB"
    )
    config = fast_config(flap_window_s=WINDOW_S, flap_limit=LIMIT)
    parts = wire(store, (township_office(contacts),), config)
    device = "GD-flap"
    began = time.monotonic()
    for i in range(20):
        at = (WHEN + timedelta(seconds=6 * i)).isoformat()  # 20 alarms over two minutes
        parts.dispatcher.handle(raised(device_id=device, occurred_at=at))
    assert time.monotonic() - began < WINDOW_S, "the alarms must arrive inside one window"
    deadline = time.monotonic() + WINDOW_S + 5
    while time.monotonic() < deadline and len(robot.accepted()) < 2 * (LIMIT + 1):
        parts.ticker.tick()
        time.sleep(0.05)
    time.sleep(0.3)
    parts.ticker.tick()
    for key in "AB":
        contents = _contents(robot, key)
        alarms = [c for c in contents if "频繁报警汇总" not in c]
        summaries = [c for c in contents if "频繁报警汇总" in c]
        assert len(alarms) == LIMIT, key
        assert len(summaries) == 1, key
        assert f"又报警 {20 - LIMIT} 次" in summaries[0] and device in summaries[0]
    assert parts.count("wecom", "held") == 2 * (20 - LIMIT)


def test_another_device_of_the_same_site_is_not_held_back_by_the_flapping_one(
    store: Datastore, robot: RobotReceiver
) -> None:
    contact = Contact(name="A", channel="wecom", url=SecretStr(robot.url("/send?key=A")))
    parts = wire(store, (township_office((contact,)),), fast_config(flap_window_s=60, flap_limit=1))
    for _ in range(5):
        parts.dispatcher.handle(raised(device_id="GD-noisy"))
    assert parts.dispatcher.handle(raised(device_id="GD-quiet")) == 1
