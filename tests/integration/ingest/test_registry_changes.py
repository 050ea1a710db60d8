"""A registry change reaches a running gateway at once (LISTEN/NOTIFY, migration 0008), not at
its next poll: the poll is set to a minute here, so only the notification or the re-check of an
unknown device can explain what the gateway does."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from schemas.families import Family, Industry
from schemas.registry import DeviceRecord, EnterpriseRecord, Registry
from storage.datastore import Datastore
from storage.registry import RegistryRepository
from tests.integration.ingest.conftest import Gateways, Site, TopicReader

pytestmark = pytest.mark.shared_broker

TYPES = {"gas": "combustible", "shutoff": "valve", "elevator": "car", "fire": "electrical"}


def _import(database_url: str, site: Site, devices: dict[str, str]) -> None:
    """What `./run registry import` does to the database: one transaction, returned = committed."""
    registry = Registry(
        enterprises=(
            EnterpriseRecord(
                id=site.enterprise_id,
                name="测试企业",
                division="330106001001",
                industry=Industry.CHEMICAL,
            ),
        ),
        devices=tuple(
            DeviceRecord(
                id=d,
                enterprise=site.enterprise_id,
                family=Family(f),
                type=TYPES[f],
                gateway="GW-1" if f in ("gas", "shutoff") else None,
                report_interval_s=10,
            )
            for d, f in devices.items()
        ),
    )
    with Datastore(database_url) as store:
        RegistryRepository(store).replace_all(registry, {})


def _reading(client, site: Site, device: str, seq: int) -> None:
    body = {"ts": int(time.time() * 1000), "seq": seq, "concentration": 3.0, "unit": "%LEL"}
    topic = f"hw/v1/{site.enterprise_id}/{device}/telemetry"
    client.publish(topic, json.dumps(body).encode(), qos=1).wait_for_publish(10)


def _next_of(
    reader: TopicReader, device: str, timeout: float = 15.0
) -> tuple[str, dict[str, Any]]:
    """The next record about `device`: the broker is shared, and every gateway sees (and
    rejects) what other tests publish meanwhile."""
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        [(topic, key, value)] = reader.take(1, timeout=remaining)
        if key.decode() == device:
            return topic, value
    raise AssertionError(f"nothing about {device} within {timeout} s")


def test_a_devices_first_reading_published_right_after_the_import_returns_is_forwarded(
    site: Site, gateways: Gateways, reader: TopicReader, endpoints, database_url: str
) -> None:
    gateways.env["HW_INGEST_REGISTRY_REFRESH_S"] = "60"
    gateways.start()
    client = site.client(endpoints)
    for round_ in range(5):
        new = f"GD-new{round_}-{uuid.uuid4().hex[:4]}"
        site.devices[new] = "gas"
        _import(database_url, site, site.devices)
        _reading(client, site, new, seq=1)
        topic, envelope = _next_of(reader, new)
        assert (topic, envelope["seq"]) == (endpoints.topics.readings, 1)
    client.loop_stop()


def test_a_device_removed_from_the_registry_is_refused_by_its_next_reading(
    site: Site, gateways: Gateways, reader: TopicReader, endpoints, database_url: str
) -> None:
    gateways.env["HW_INGEST_REGISTRY_REFRESH_S"] = "60"
    gateways.start()
    client = site.client(endpoints)
    gas = next(d for d, f in site.devices.items() if f == "gas")
    _reading(client, site, gas, seq=1)
    topic, _envelope = _next_of(reader, gas)
    assert topic == endpoints.topics.readings

    kept = {d: f for d, f in site.devices.items() if d != gas}
    _import(database_url, site, kept)
    _reading(client, site, gas, seq=2)
    topic, rejected = _next_of(reader, gas)
    assert topic == endpoints.topics.rejected
    assert rejected["reason"] == "unknown_device"
    client.loop_stop()
