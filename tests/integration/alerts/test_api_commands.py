"""Commands over HTTP: validated, produced to the commands topic keyed by device, idempotent."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaConsumer, TopicPartition

from alerts.services import Services
from schemas.commands import AlarmCommand, parse_command
from schemas.events import Acknowledged
from schemas.topics import TopicNames
from storage import events
from tests.integration.alerts.conftest import TokenFactory
from tests.integration.alerts.seed import seed_alarm


@pytest.fixture
def commands(services: Services, topics: TopicNames) -> Iterator[KafkaConsumer]:
    consumer = KafkaConsumer(**services.kafka.client_options(), group_id=None)
    partitions = [
        TopicPartition(topics.alarm_commands, p)
        for p in sorted(consumer.partitions_for_topic(topics.alarm_commands) or [])
    ]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    yield consumer
    consumer.close()


def _received(
    consumer: KafkaConsumer, alarm_id: str, want: int, deadline_s: float = 15
) -> list[tuple[bytes, AlarmCommand]]:
    found: list[tuple[bytes, AlarmCommand]] = []
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline and len(found) < want:
        for records in consumer.poll(timeout_ms=200).values():
            for record in records:
                command = parse_command(record.value)
                if command.alarm_id == alarm_id:
                    found.append((record.key, command))
    return found


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_acknowledgement_is_queued_keyed_by_the_alarms_device(
    client: TestClient, services: Services, token: TokenFactory, commands: KafkaConsumer
) -> None:
    alarm = seed_alarm(services.store)
    command_id = f"c-{uuid4().hex[:8]}"
    response = client.post(
        f"/api/v1/alarms/{alarm['alarm_id']}/acknowledge",
        json={"command_id": command_id, "comment": "on my way"},
        headers=_auth(token()),
    )
    assert response.status_code == 202
    assert response.json()["command_id"] == command_id
    [(key, command)] = _received(commands, alarm["alarm_id"], want=1)
    assert key == alarm["device_id"].encode()
    assert (command.kind, command.command_id, command.comment) == (
        "acknowledge",
        command_id,
        "on my way",
    )


def test_a_command_without_an_id_gets_a_fresh_one(
    client: TestClient, services: Services, token: TokenFactory, commands: KafkaConsumer
) -> None:
    alarm = seed_alarm(services.store)
    path = f"/api/v1/alarms/{alarm['alarm_id']}/acknowledge"
    first = client.post(path, headers=_auth(token())).json()["command_id"]
    second = client.post(path, headers=_auth(token())).json()["command_id"]
    assert first != second
    assert {c.command_id for _, c in _received(commands, alarm["alarm_id"], want=2)} == {
        first,
        second,
    }


def test_a_command_id_already_in_the_alarms_history_is_not_queued_again(
    client: TestClient, services: Services, token: TokenFactory, commands: KafkaConsumer
) -> None:
    alarm = seed_alarm(services.store)
    command_id = f"c-{uuid4().hex[:8]}"
    applied = Acknowledged(
        event_id=uuid4().hex,
        alarm_id=alarm["alarm_id"],
        seq=2,
        occurred_at=datetime.now(UTC),
        device_id=alarm["device_id"],
        enterprise_id=alarm["enterprise_id"],
        division=alarm["division"],
        family=alarm["family"],
        condition=alarm["condition"],
        severity="red",  # type: ignore[arg-type]
        actor="u",
        command_id=command_id,
    )
    with services.store.transaction() as conn:
        events.append(conn, applied)
    response = client.post(
        f"/api/v1/alarms/{alarm['alarm_id']}/acknowledge",
        json={"command_id": command_id},
        headers=_auth(token()),
    )
    assert (response.status_code, response.json()["command_id"]) == (202, command_id)
    _assert_only_queued_after(client, token, commands, alarm, "acknowledge")


def test_closing_an_alarm_that_is_not_resolved_is_a_conflict(
    client: TestClient, services: Services, token: TokenFactory, commands: KafkaConsumer
) -> None:
    alarm = seed_alarm(services.store, state="dispatched")
    response = client.post(f"/api/v1/alarms/{alarm['alarm_id']}/close", headers=_auth(token()))
    assert response.status_code == 409
    assert "close" in response.json()["detail"]
    _assert_only_queued_after(client, token, commands, alarm, "resolve")


def _assert_only_queued_after(
    client: TestClient,
    token: TokenFactory,
    commands: KafkaConsumer,
    alarm: dict[str, str],
    valid_action: str,
) -> None:
    """Nothing was queued for the alarm: a valid command sent now is the first one on its
    partition (same key, so it would have come after anything queued before)."""
    marker = client.post(
        f"/api/v1/alarms/{alarm['alarm_id']}/{valid_action}",
        json={"cause": "false_alarm"} if valid_action == "resolve" else {},
        headers=_auth(token()),
    ).json()["command_id"]
    [(_, first)] = _received(commands, alarm["alarm_id"], want=1)
    assert first.command_id == marker
    assert _received(commands, alarm["alarm_id"], want=1, deadline_s=0.5) == []


@pytest.mark.parametrize(
    ("path_tail", "body", "field"),
    [
        ("explode", {}, "action"),
        ("resolve", {"cause": "gremlins"}, "cause"),
        ("acknowledge", {"command_id": "has space"}, "command_id"),
        ("acknowledge", {"colour": "red"}, "colour"),
    ],
)
def test_a_malformed_command_is_422_naming_the_field(
    client: TestClient,
    services: Services,
    token: TokenFactory,
    path_tail: str,
    body: dict[str, str],
    field: str,
) -> None:
    alarm = seed_alarm(services.store)
    response = client.post(
        f"/api/v1/alarms/{alarm['alarm_id']}/{path_tail}", json=body, headers=_auth(token())
    )
    assert response.status_code == 422
    assert field in {str(part) for error in response.json()["detail"] for part in error["loc"]}
