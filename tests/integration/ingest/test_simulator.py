"""The simulator through the real broker and gateway: every reading it sends is forwarded."""

from __future__ import annotations

import pytest

from ingest.simulator import behaviours
from ingest.simulator.fleet import Fleet, SimDevice
from ingest.simulator.publisher import Credentials, publish
from schemas.families import Family
from tests.integration.ingest.conftest import Gateways, Site, TopicReader

pytestmark = pytest.mark.shared_broker


def test_a_simulated_fleet_direct_and_behind_its_field_gateway_arrives_in_full(
    site: Site, gateways: Gateways, reader: TopicReader, endpoints
) -> None:
    gateways.start()
    fleet = Fleet(
        [
            SimDevice(
                id=device,
                enterprise_id=site.enterprise_id,
                family=Family(family),
                interval_s=0.2,
                behaviour=behaviours.with_heartbeats(behaviours.DEFAULTS[Family(family)]()),
                gateway="GW-1" if family in ("gas", "shutoff") else None,
            )
            for device, family in site.devices.items()
        ]
    )
    summary = publish(
        fleet,
        endpoints.mqtt_host,
        endpoints.mqtt_port,
        {site.enterprise_id: Credentials(site.enterprise_id, site.password)},
        seconds=2.0,
    )
    assert summary.unacked == 0 and summary.by_kind["batch"] > 0
    records = reader.take(summary.readings)
    assert reader.quiet() == []
    assert {topic for topic, _, _ in records} == {endpoints.topics.readings}
    assert {key.decode() for _, key, _ in records} == set(site.devices)
    via_gateway = {v["device_id"] for _, _, v in records if v["gateway_id"] == "GW-1"}
    assert via_gateway == {d for d, f in site.devices.items() if f in ("gas", "shutoff")}
