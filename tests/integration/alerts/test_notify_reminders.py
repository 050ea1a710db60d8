"""Reminders until signed for, through the event topic: an unacknowledged red alarm is told
again every period, each round adding the next contact of the escalation path; a restart of
the notifications consumer in between neither repeats nor skips a round; acknowledging stops
them."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import pytest
from kafka import KafkaProducer
from pydantic import SecretStr

from alerts.notify.consumer import NotificationConsumer
from alerts.notify.contacts import Contact
from schemas.settings import Endpoints
from storage.datastore import Datastore
from tests.integration.alerts.notify_support import (
    Parts,
    fast_config,
    raised,
    township_office,
    wire,
)
from tests.integration.alerts.robot_receiver import RobotReceiver, serve_robot

PERIOD_S = 1.0
ROUND = re.compile(r"第(\d+)次催办")


@pytest.fixture
def store(database_url: str) -> Iterator[Datastore]:
    with Datastore(database_url, max_size=6) as opened:
        yield opened


@pytest.fixture
def robot() -> Iterator[RobotReceiver]:
    with serve_robot() as started:
        yield started


@pytest.fixture
def producer(endpoints: Endpoints) -> Iterator[Callable[[dict[str, Any]], None]]:
    made = KafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap, acks="all")

    def send(event: dict[str, Any]) -> None:
        made.send(
            endpoints.topics.alarm_events,
            key=str(event["device_id"]).encode(),
            value=json.dumps(event).encode(),
        )
        made.flush(timeout=10)

    yield send
    made.close(timeout=5)


def _rounds(robot: RobotReceiver, key: str) -> list[int]:
    found = []
    for request in robot.accepted():
        if request.query["key"] == key:
            match = ROUND.search(request.json()["markdown"]["content"])
            if match:
                found.append(int(match.group(1)))
    return found


def _wait(done: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _stopped(store: Datastore, alarm_id: str) -> bool:
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT stopped_at IS NOT NULL FROM notification_reminders WHERE alarm_id = %s",
            (alarm_id,),
        ).fetchone()
    return bool(row and row[0])


def test_an_unacknowledged_red_alarm_is_reminded_each_period_adding_the_escalation_path(
    store: Datastore,
    robot: RobotReceiver,
    endpoints: Endpoints,
    producer: Callable[[dict[str, Any]], None],
) -> None:
    def contact(name: str) -> Contact:
        return Contact(name=name, channel="wecom", url=SecretStr(robot.url(f"/send?key={name}")))

    office = township_office((contact("A"),), escalation=(contact("B"), contact("C")))
    config = fast_config(remind_s={"red": PERIOD_S, "orange": 0.0, "yellow": 0.0, "blue": 0.0})
    group = f"notify-{uuid4().hex[:8]}"

    def start() -> tuple[Parts, NotificationConsumer]:
        parts = wire(store, (office,), config)
        consumer = NotificationConsumer(
            endpoints.kafka,
            endpoints.topics.alarm_events,
            group,
            parts.dispatcher,
            parts.ticker,
            from_beginning=True,
        )
        consumer.start()
        return parts, consumer

    _, first = start()
    event = raised()
    try:
        assert first.wait_joined(30), "the consumer never joined"
        producer(event)
        _wait(lambda: len(_rounds(robot, "A")) >= 1, 20, "the first reminder")
        assert robot.accepted()[0].query["key"] == "A"  # the alarm itself, first
        time.sleep(PERIOD_S * 0.3)
    finally:
        first.stop()  # the restart, between two rounds
    _, second = start()
    try:
        _wait(lambda: len(_rounds(robot, "A")) >= 3, 10, "three rounds")
        producer({**event, "type": "Acknowledged", "event_id": uuid4().hex, "seq": 2})
        _wait(lambda: _stopped(store, event["alarm_id"]), 30, "the acknowledgement")
        time.sleep(0.3)  # a round queued just before the acknowledgement may still arrive
        settled = len(robot.requests)
        time.sleep(PERIOD_S * 2.5)
        assert len(robot.requests) == settled, "reminded after the acknowledgement"
    finally:
        second.stop()
    a, b, c = _rounds(robot, "A"), _rounds(robot, "B"), _rounds(robot, "C")
    assert a == list(range(1, len(a) + 1)), a  # no round repeated, none skipped
    assert b == a  # the first of the escalation path joins at round 1 ...
    assert c == a[1:]  # ... the second at round 2
    alarms = [r for r in robot.accepted() if not ROUND.search(r.json()["markdown"]["content"])]
    assert [r.query["key"] for r in alarms] == ["A"]  # the alarm once, to the contacts only
    times = [r.at for r in robot.accepted() if r.query["key"] == "A"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(PERIOD_S * 0.7 < gap < PERIOD_S * 2 for gap in gaps), gaps


def test_an_alarm_that_turns_red_is_reminded_at_the_red_period_and_says_red(
    store: Datastore, robot: RobotReceiver
) -> None:
    contact = Contact(name="A", channel="wecom", url=SecretStr(robot.url("/send?key=A")))
    periods = {"red": 0.5, "orange": 0.0, "yellow": 0.0, "blue": 0.0}
    parts = wire(store, (township_office((contact,)),), fast_config(remind_s=periods))
    event = raised(severity="yellow")
    parts.dispatcher.handle(event)
    for _ in range(10):  # yellow has no reminders here: a second of ticks brings none
        parts.ticker.tick()
        time.sleep(0.1)
    assert _rounds(robot, "A") == []
    changed = {**event, "type": "SeverityChanged", "event_id": uuid4().hex, "seq": 2}
    changed.update(severity="red", from_severity="yellow", to_severity="red")
    parts.dispatcher.handle(changed)
    _wait_ticking(parts, lambda: len(_rounds(robot, "A")) >= 2, 5)
    reminders = [r.json()["markdown"]["content"] for r in robot.accepted()][1:]
    assert all("【红色预警·第" in content for content in reminders)


def _wait_ticking(parts: Parts, done: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        parts.ticker.tick()
        time.sleep(0.05)
