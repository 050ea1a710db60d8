"""Maintenance windows over HTTP: one declare_maintenance command per device of the caller."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaConsumer, TopicPartition

from alerts.services import Services
from schemas.commands import AlarmCommand, parse_command
from schemas.topics import TopicNames
from tests.integration.alerts.conftest import TokenFactory
from tests.integration.alerts.seed import TOWNSHIP, seed_device


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


def _window(devices: list[str], hours: float = 2, **over: Any) -> dict[str, Any]:
    start = datetime.now(UTC)
    return {
        "devices": devices,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=hours)).isoformat(),
        "reason": "annual calibration",
        **over,
    }


def _declared(consumer: KafkaConsumer, window_id: str, want: int) -> list[AlarmCommand]:
    found: list[AlarmCommand] = []
    for _ in range(100):
        for records in consumer.poll(timeout_ms=200).values():
            found += [c for r in records if (c := parse_command(r.value)).window
                      and c.window.window_id == window_id]  # fmt: skip
        if len(found) >= want:
            break
    return found


def test_an_enterprise_declares_a_window_for_its_devices(
    client: TestClient, services: Services, token: TokenFactory, commands: KafkaConsumer
) -> None:
    enterprise = f"E{uuid4().hex[:8]}"
    devices = [seed_device(services.store, enterprise, TOWNSHIP + "001") for _ in range(2)]
    window_id = f"mw-{uuid4().hex[:8]}"
    response = client.post(
        "/api/v1/maintenance-windows",
        json=_window(devices, window_id=window_id),
        headers={"Authorization": f"Bearer {token(role='enterprise', scope=enterprise)}"},
    )
    assert response.status_code == 202, response.text
    declared = _declared(commands, window_id, want=2)
    assert sorted(c.device_id for c in declared) == sorted(devices)
    assert {c.kind for c in declared} == {"declare_maintenance"}
    assert sorted(response.json()["command_ids"]) == sorted(c.command_id for c in declared)


def test_a_window_naming_another_enterprises_device_is_404_and_queues_nothing(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    mine, theirs = f"E{uuid4().hex[:8]}", f"E{uuid4().hex[:8]}"
    own = seed_device(services.store, mine, TOWNSHIP + "001")
    other = seed_device(services.store, theirs, TOWNSHIP + "001")
    response = client.post(
        "/api/v1/maintenance-windows",
        json=_window([own, other]),
        headers={"Authorization": f"Bearer {token(role='enterprise', scope=mine)}"},
    )
    assert response.status_code == 404
    assert other in response.json()["detail"]


@pytest.mark.parametrize("hours", [73, -1])
def test_a_window_longer_than_72_hours_or_ending_before_it_starts_is_422(
    client: TestClient, services: Services, token: TokenFactory, hours: float
) -> None:
    enterprise = f"E{uuid4().hex[:8]}"
    device = seed_device(services.store, enterprise, TOWNSHIP + "001")
    response = client.post(
        "/api/v1/maintenance-windows",
        json=_window([device], hours=hours),
        headers={"Authorization": f"Bearer {token(role='enterprise', scope=enterprise)}"},
    )
    assert response.status_code == 422
    assert "end" in response.text


def test_a_monitor_may_not_declare_a_window(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    device = seed_device(services.store, f"E{uuid4().hex[:8]}", TOWNSHIP + "001")
    response = client.post(
        "/api/v1/maintenance-windows",
        json=_window([device]),
        headers={"Authorization": f"Bearer {token(role='monitor', scope=TOWNSHIP)}"},
    )
    assert response.status_code == 403
