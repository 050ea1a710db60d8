"""Delivery through the PostgreSQL outbox: retries with backoff, dead letters an admin can
retry, and one message per alarm event and contact however often the event arrives."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr

from alerts.notify.contacts import Contact, Office
from alerts.notify.dead_letters import list_dead_letters, retry
from storage.datastore import Datastore
from tests.integration.alerts.notify_support import (
    Parts,
    fast_config,
    raised,
    township_office,
    wire,
)
from tests.integration.alerts.robot_receiver import RobotReceiver, serve_robot


@pytest.fixture
def store(database_url: str) -> Iterator[Datastore]:
    with Datastore(database_url, max_size=4) as opened:
        yield opened


@pytest.fixture
def robot() -> Iterator[RobotReceiver]:
    with serve_robot() as started:
        yield started


def _wecom(robot: RobotReceiver, name: str = "值班群") -> Contact:
    return Contact(name=name, channel="wecom", url=SecretStr(robot.url(f"/send?key={name}")))


def _tick_until(parts: Parts, done: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        parts.ticker.tick()
        time.sleep(parts.config.tick_s)
    parts.ticker.tick()


def _outbox_states(store: Datastore) -> list[str]:
    with store.transaction() as conn:
        return [row[0] for row in conn.execute("SELECT state FROM notification_outbox")]


def test_a_receiver_failing_four_times_then_accepting_gets_exactly_one_message(
    store: Datastore, robot: RobotReceiver
) -> None:
    robot.statuses = [500, 500, 500, 500]
    parts = wire(store, (township_office((_wecom(robot),)),), fast_config())
    assert parts.dispatcher.handle(raised()) == 1
    _tick_until(parts, lambda: bool(robot.accepted()))
    time.sleep(0.2)
    parts.ticker.tick()
    assert len(robot.requests) == 5
    assert len(robot.accepted()) == 1
    assert len({r.body for r in robot.requests}) == 1  # the same message each time
    assert (parts.count("wecom", "retried"), parts.count("wecom", "sent")) == (4, 1)
    assert _outbox_states(store) == ["sent"]
    assert list_dead_letters(store) == []


def test_a_receiver_that_always_fails_ends_as_a_stored_dead_letter_an_admin_can_retry(
    store: Datastore, robot: RobotReceiver
) -> None:
    robot.always = 500
    parts = wire(store, (township_office((_wecom(robot),)),), fast_config())
    event = raised()
    parts.dispatcher.handle(event)
    _tick_until(parts, lambda: bool(list_dead_letters(store)))
    [letter] = list_dead_letters(store)
    assert len(robot.requests) == 5 and robot.accepted() == []
    assert (letter.channel, letter.alarm_id, letter.event_id) == (
        "wecom",
        event["alarm_id"],
        event["event_id"],
    )
    assert letter.contact == "township/330106001/值班群"
    assert (letter.last_error, letter.attempts) == ("HTTP 500", 5)
    assert letter.payload["message"]["device_id"] == event["device_id"]
    assert "key=" not in str(letter.payload)  # the robot URL (its key) is never stored
    assert parts.count("wecom", "failed") == 1
    # The receiver is fixed; the admin retries from the console.
    robot.always = None
    assert retry(store, letter.id)
    assert not retry(store, letter.id)  # retried once, gone from the dead letters
    _tick_until(parts, lambda: bool(robot.accepted()))
    assert len(robot.accepted()) == 1
    assert list_dead_letters(store) == [] and _outbox_states(store) == ["sent"]


def test_a_refused_message_is_dead_lettered_at_once_without_retrying(store: Datastore) -> None:
    with serve_robot({"errcode": 93000, "errmsg": "invalid webhook url"}) as robot:
        parts = wire(store, (township_office((_wecom(robot),)),), fast_config())
        parts.dispatcher.handle(raised())
        _tick_until(parts, lambda: bool(list_dead_letters(store)))
    assert len(robot.requests) == 1
    assert list_dead_letters(store)[0].last_error.startswith("errcode 93000")


def test_an_event_delivered_again_after_a_restart_notifies_nobody_twice(
    store: Datastore, robot: RobotReceiver
) -> None:
    office = township_office((_wecom(robot, "甲"), _wecom(robot, "乙")))
    event = raised()
    first = wire(store, (office,), fast_config())
    assert first.dispatcher.handle(event) == 2
    _tick_until(first, lambda: len(robot.accepted()) == 2)
    # A new process (a restart) reads the same event again (its offset was not committed).
    again = wire(store, (office,), fast_config())
    assert again.dispatcher.handle(event) == 0
    again.ticker.tick()
    time.sleep(0.2)
    again.ticker.tick()
    assert sorted(r.query["key"] for r in robot.requests) == ["乙", "甲"]


def test_the_township_and_the_industry_regulator_each_hear_through_their_own_contacts(
    store: Datastore, robot: RobotReceiver
) -> None:
    authority = Office(
        office="gas_authority",
        division="330106",
        name="西湖区燃气办",
        contacts=(_wecom(robot, "燃气办"),),
    )
    offices = (township_office((_wecom(robot, "街道"),)), authority)
    parts = wire(store, offices, fast_config(), industry="catering")
    assert parts.dispatcher.handle(raised()) == 2
    _tick_until(parts, lambda: len(robot.accepted()) == 2)
    assert sorted(r.query["key"] for r in robot.accepted()) == ["燃气办", "街道"]


def test_old_sent_messages_are_forgotten_and_dead_letters_kept(
    store: Datastore, robot: RobotReceiver
) -> None:
    from storage.notifications import prune

    parts = wire(store, (township_office((_wecom(robot),)),), fast_config())
    parts.dispatcher.handle(raised())
    _tick_until(parts, lambda: bool(robot.accepted()))
    robot.always = 500
    parts.dispatcher.handle(raised())
    _tick_until(parts, lambda: bool(list_dead_letters(store)))
    with store.transaction() as conn:
        conn.execute("UPDATE notification_outbox SET created_at = now() - interval '31 days'")
        conn.execute("UPDATE notification_reminders SET stopped_at = now() - interval '31 days'")
        # The sent message and both alarms' (stopped) reminders; flapping windows are recent.
        assert prune(conn, keep_days=30) == 3
    assert _outbox_states(store) == ["dead"]
    assert len(list_dead_letters(store)) == 1
