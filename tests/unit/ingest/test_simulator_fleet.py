"""The simulated fleet speaks the device contract: the gateway's own parser accepts all of it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from ingest.rate_limit import RateLimiter
from ingest.registry_view import DeviceInfo, RegistrySnapshot
from ingest.simulator.fleet import SCENARIOS, Fleet
from ingest.validation import Accepted, Context, accept
from schemas.families import Family

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


def _snapshot(fleet: Fleet) -> RegistrySnapshot:
    return RegistrySnapshot(
        {
            d.id: DeviceInfo(d.enterprise_id, d.family, "330106001001", d.gateway)
            for d in fleet.devices
        }
    )


def test_every_message_of_a_mixed_fleet_is_accepted_by_the_gateway():
    ent = "E" + uuid.uuid4().hex[:8]
    fleet = Fleet.synthetic(ent, count=40, interval_s=1.0, gateway_share=0.5)
    context = Context(_snapshot(fleet), RateLimiter(10, 50, lambda: 0.0), NOW)
    outcomes = []
    for tick in range(30):
        for publication in fleet.due(tick * 0.5, NOW_MS):
            outcomes += accept(publication.topic, publication.payload, context)
    assert len(outcomes) > 40 * 10
    assert all(isinstance(o, Accepted) for o in outcomes), [o for o in outcomes][:3]
    families = {o.envelope.family for o in outcomes if isinstance(o, Accepted)}
    assert families == set(Family)


def test_devices_behind_a_field_gateway_are_published_as_one_batch_per_tick():
    ent = "E" + uuid.uuid4().hex[:8]
    fleet = Fleet.synthetic(ent, count=10, interval_s=1.0, gateway_share=1.0)
    publications = fleet.due(1.0, NOW_MS)
    assert [p.topic for p in publications] == [f"hw/v1/{ent}/GW-1/batch"]
    assert publications[0].readings == 10


def test_each_device_counts_its_seq_up_by_one():
    fleet = Fleet.synthetic("E" + uuid.uuid4().hex[:8], count=1, interval_s=1.0)
    seqs = [json.loads(p.payload)["seq"] for t in range(5) for p in fleet.due(float(t), NOW_MS)]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 4


def test_the_step_leak_scenario_drives_the_first_detector_above_level_2():
    fleet = Fleet.synthetic("E" + uuid.uuid4().hex[:8], count=4, interval_s=1.0)
    SCENARIOS["step_leak"](fleet)
    gas = fleet.first(Family.GAS)
    assert gas is not None
    values = [
        json.loads(p.payload).get("concentration", 0)
        for t in range(12)
        for p in fleet.due(float(t), NOW_MS)
        if gas.id in p.topic
    ]
    assert max(values) > 50 and min(values) < 5
