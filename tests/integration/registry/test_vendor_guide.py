"""docs/vendors.md says what it shows: its registry example imports, and every `mosquitto_pub`
command of its `sh` blocks, run by bash with the real client against a running gateway, gets
the outcome its `# expect:` line names (accepted, or rejected with that reason). The guide
names every rejection reason of the code's enum and every event of every family."""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import pytest

from deploy.stack import mosquitto, packages
from schemas import readings
from schemas.registry_file import parse
from schemas.rejected import RejectReason
from schemas.settings import Endpoints
from storage.datastore import Datastore
from storage.registry import RegistryRepository
from tests.conftest import endpoints_env
from tests.integration.ingest.conftest import Gateways, Record, TopicReader
from tests.support.processes import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.shared_broker]

GUIDE = Path(__file__).parents[3] / "docs" / "vendors.md"
DOC_IDS = ("GD-0001", "SV-0001", "EL-0001", "FE-0001", "GD-9999", "GW-01", "GW-02")
DOC_ENTERPRISE = "E330106000001"
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
_TOPIC = re.compile(r"-t (hw/v1/[^\s/]+/([^\s/]+)/\w+)")


@dataclass(frozen=True)
class Example:
    expect: str  # "accepted" or "rejected"
    what: list[str]  # the devices accepted (default: the topic's), or the one reason
    command: str

    @property
    def topic(self) -> str:
        found = _TOPIC.search(self.command)
        assert found, self.command
        return found[1]

    @property
    def sender_and_channel(self) -> tuple[str, str]:
        _, _, sender, channel = self.topic.rsplit("/", 3)
        return sender, channel

    @property
    def devices(self) -> set[str]:
        return (
            set(self.what)
            if self.expect == "accepted" and self.what
            else {self.sender_and_channel[0]}
        )


def _blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in _BLOCK.findall(text) if lang == language]


def examples(text: str) -> list[Example]:
    found: list[Example] = []
    for block in _blocks(text, "sh"):
        for chunk in re.split(r"^(?=# expect:)", block, flags=re.M):
            if not chunk.strip():
                continue
            head, _, command = chunk.partition("\n")
            words = head.removeprefix("# expect:").split()
            assert words and words[0] in ("accepted", "rejected"), f"no expect line: {chunk}"
            found.append(Example(words[0], words[1:], command))
    return found


def test_the_guide_names_every_reason_and_event_and_shows_each_family_and_channel() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for reason in RejectReason:
        assert f"| `{reason.value}` |" in text, f"the reasons table lacks {reason.value}"
    for events in (readings.GAS_EVENTS, readings.SHUTOFF_EVENTS, readings.ELEVATOR_EVENTS,
                   readings.FIRE_EVENTS):  # fmt: skip
        missing = [e for e in get_args(events) if f"`{e}`" not in text]
        assert missing == []
    shown = examples(text)
    accepted = {e.sender_and_channel for e in shown if e.expect == "accepted"}
    for device in ("GD-0001", "SV-0001", "EL-0001", "FE-0001"):
        assert {(device, "telemetry"), (device, "event")} <= accepted
    assert {("EL-0001", "status"), ("GW-01", "batch")} <= accepted
    assert any(channel == "heartbeat" for _, channel in accepted)
    device_reasons = set(RejectReason) - {RejectReason.STREAM_ERROR, RejectReason.SINK_ERROR}
    assert {e.what[0] for e in shown if e.expect == "rejected"} == device_reasons


@pytest.fixture
def reader(endpoints: Endpoints) -> Iterator[TopicReader]:
    topics = endpoints.topics
    reading = TopicReader(endpoints.kafka_bootstrap, [topics.readings, topics.rejected])
    yield reading
    reading.close()


def _outcome(reader: TopicReader, endpoints: Endpoints, example: Example) -> str:
    """'' when the example got its expected outcome within the deadline, else what it got."""
    topic, devices = example.topic, example.devices
    seen: list[Record] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for record in reader.quiet(0.05):
            kafka_topic, key, value = record
            ours = key.decode() in devices or value.get("mqtt_topic") == topic
            if not ours:
                continue  # another test's traffic on the shared broker
            seen.append(record)
            rejected = kafka_topic == endpoints.topics.rejected
            if example.expect == "rejected" and rejected and value["mqtt_topic"] == topic:
                if value["reason"] == example.what[0]:
                    return ""
                continue  # e.g. the rate limit's first 50 messages, accepted
            if example.expect == "accepted":
                if kafka_topic == endpoints.topics.rejected:
                    return f"rejected: {value['reason']}: {value['detail']}"
                devices.discard(key.decode())
                if not devices:
                    return ""
    return f"nothing matching within 20 s; saw {[(r[0], r[2].get('reason')) for r in seen][:5]}"


def test_every_example_gets_the_outcome_the_guide_says(
    endpoints: Endpoints,
    database_url: str,
    mqtt_enterprise: Callable[..., tuple[str, str]],
    service_process: Callable[..., ServiceProcess],
    reader: TopicReader,
) -> None:
    packages.ensure(["mosquitto_pub"])
    suffix = uuid.uuid4().hex[:6]
    ids = {doc_id: f"{doc_id.split('-')[0]}{suffix}-{doc_id[-2:]}" for doc_id in DOC_IDS}
    ids[DOC_ENTERPRISE] = f"E{suffix}"
    text = GUIDE.read_text(encoding="utf-8")
    for doc_id, mine in ids.items():
        text = re.sub(rf"\b{re.escape(doc_id)}\b", mine, text)
    enterprise, password = mqtt_enterprise(ids[DOC_ENTERPRISE])
    (registry_yaml,) = _blocks(text, "yaml")
    with Datastore(database_url, max_size=1) as store:
        RegistryRepository(store).import_registry(
            parse(registry_yaml, "docs/vendors.md"),
            {enterprise: mosquitto.hash_password(password)},
            actor="test",
        )
    env = {
        **endpoints_env(endpoints),
        "HW_DATABASE_URL": database_url,
        "HW_INGEST_SHARED_GROUP": f"t{suffix}",
        "HW_INGEST_REGISTRY_REFRESH_S": "0.5",
        "HW_INGEST_SESSION_EXPIRY_S": "120",
    }
    Gateways(env, service_process).start()
    shell = {
        **os.environ,
        "HW_MQTT_HOST": endpoints.mqtt_host,
        "HW_MQTT_PORT": str(endpoints.mqtt_port),
        "MQTT_PASSWORD": password,
    }
    failures: list[str] = []
    shown = examples(text)
    try:
        for example in shown:
            done = subprocess.run(
                ["bash", "-c", "set -euo pipefail\n" + example.command],
                env=shell, capture_output=True, text=True, timeout=30,
            )  # fmt: skip
            if done.returncode != 0:
                problem = f"exit {done.returncode}: {done.stderr}"
                failures.append(f"{example.command.strip()}\n  {problem}")
                continue
            got = _outcome(reader, endpoints, example)
            if got:
                failures.append(f"{example.command.strip()}\n  expected {example.expect}: {got}")
    finally:
        # The guide's status example is retained: leave nothing on the shared broker.
        for example in shown:
            if example.topic.endswith("/status"):
                subprocess.run(
                    ["mosquitto_pub", "-h", endpoints.mqtt_host, "-p", str(endpoints.mqtt_port),
                     "-u", enterprise, "-P", password, "-t", example.topic, "-r", "-n"],
                    timeout=10, check=False,
                )  # fmt: skip
    assert failures == [], "\n".join(failures)
    assert len(shown) >= 20
