"""The live feed of a running `python -m alerts`, fed from the real event topic."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from kafka import KafkaProducer

from alerts.auth.tokens import Claims, issue
from schemas.events import AlarmRaised, encode_event
from schemas.settings import Endpoints
from schemas.topics import TopicNames
from tests.conftest import endpoints_env
from tests.integration.alerts.seed import NEIGHBOUR, TOWNSHIP
from tests.integration.alerts.sse import FeedReader
from tests.support.processes import free_port


@pytest.fixture
def api(
    endpoints: Endpoints, database_url: str, service_process: Callable[..., Any]
) -> tuple[str, str]:
    """(base url, token secret) of a started alerts service."""
    port, secret = free_port(), uuid4().hex
    env = {
        **endpoints_env(endpoints),
        "HW_DATABASE_URL": database_url,
        "HW_API_URL": f"http://127.0.0.1:{port}",
        "HW_API_TOKEN_SECRET": secret,
        "HW_SSE_HEARTBEAT_S": "0.5",
    }
    service_process(["alerts"], env, port).wait_ready(60)
    return f"http://127.0.0.1:{port}", secret


@pytest.fixture
def producer(endpoints: Endpoints) -> Iterator[KafkaProducer]:
    made = KafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap, acks="all")
    yield made
    made.close(timeout=5)


@pytest.fixture
def readers() -> Iterator[list[FeedReader]]:
    started: list[FeedReader] = []
    yield started
    for reader in started:
        reader.stop()


def _raised(device_id: str, division: str, family: str) -> AlarmRaised:
    return AlarmRaised(
        event_id=uuid4().hex,
        alarm_id=f"A{uuid4().hex[:8]}",
        seq=1,
        occurred_at=datetime.now(UTC),
        device_id=device_id,
        enterprise_id=f"E{uuid4().hex[:8]}",
        division=division,
        family=family,  # type: ignore[arg-type]
        condition="level2",
        severity="red",  # type: ignore[arg-type]
    )


def _publish(producer: KafkaProducer, topics: TopicNames, *events: AlarmRaised) -> None:
    for event in events:
        producer.send(topics.alarm_events, key=event.device_id.encode(), value=encode_event(event))
    producer.flush(timeout=10)


def _token(secret: str, role: str, scope: str, families: tuple[str, ...] = ()) -> str:
    exp = int(datetime.now(UTC).timestamp()) + 3600
    return issue(
        secret,
        Claims.model_validate(
            {"sub": uuid4().hex[:8], "role": role, "scope": scope, "families": families, "exp": exp}
        ),
    )


def _reader(readers: list[FeedReader], api: tuple[str, str], token: str, **kw: Any) -> FeedReader:
    reader = FeedReader(f"{api[0]}/api/v1/stream", token, **kw).start()
    readers.append(reader)
    assert reader.status == 200
    return reader


def test_an_alarm_reaches_its_township_and_not_the_neighbour_or_another_familys_regulator(
    api: tuple[str, str],
    producer: KafkaProducer,
    topics: TopicNames,
    readers: list[FeedReader],
) -> None:
    secret = api[1]
    township = _reader(readers, api, _token(secret, "monitor", TOWNSHIP))
    neighbour = _reader(readers, api, _token(secret, "monitor", NEIGHBOUR))
    fire = _reader(readers, api, _token(secret, "regulator", "330106", ("fire",)))
    device = f"D{uuid4().hex[:8]}"
    gas_alarm = _raised(device, TOWNSHIP + "001", "gas")
    # Same key, so the same partition, published after: once a reader has its marker, it has
    # already been offered the gas alarm.
    neighbour_marker = _raised(device, NEIGHBOUR + "001", "gas")
    fire_marker = _raised(device, TOWNSHIP + "001", "fire")
    _publish(producer, topics, gas_alarm, neighbour_marker, fire_marker)

    township.wait_for({gas_alarm.event_id, fire_marker.event_id})
    assert township.event_ids() == [gas_alarm.event_id, fire_marker.event_id]
    neighbour.wait_for({neighbour_marker.event_id})
    assert neighbour.event_ids() == [neighbour_marker.event_id]
    fire.wait_for({fire_marker.event_id})
    assert fire.event_ids() == [fire_marker.event_id]


def test_a_feed_resumed_with_last_event_id_loses_and_repeats_nothing(
    api: tuple[str, str],
    producer: KafkaProducer,
    topics: TopicNames,
    readers: list[FeedReader],
) -> None:
    token = _token(api[1], "monitor", TOWNSHIP)
    site = TOWNSHIP + "001"
    first = _reader(readers, api, token)
    seen = _raised(f"D{uuid4().hex[:8]}", site, "gas")
    _publish(producer, topics, seen)
    [frame] = first.wait_for({seen.event_id})
    first.stop()

    # While disconnected: events on several partitions.
    missed = [_raised(f"D{uuid4().hex[:8]}", site, "gas") for _ in range(6)]
    _publish(producer, topics, *missed)
    resumed = _reader(readers, api, token, last_event_id=frame.id)
    live = _raised(f"D{uuid4().hex[:8]}", site, "gas")
    _publish(producer, topics, live)

    wanted = {e.event_id for e in [*missed, live]}
    resumed.wait_for(wanted)
    ids = resumed.event_ids()
    assert sorted(ids) == sorted(wanted), "an event was repeated, or an old one replayed"
    assert seen.event_id not in ids
