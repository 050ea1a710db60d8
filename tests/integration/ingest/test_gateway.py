"""The gateway on the real broker and Kafka: what goes in over MQTT and what comes out."""

from __future__ import annotations

import json
import time

from tests.integration.ingest.conftest import Gateways, Site, TopicReader

MS = int(time.time() * 1000)


def _publish(client, topic: str, body: object, qos: int = 1) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    client.publish(topic, raw, qos=qos).wait_for_publish(10)


def _by_family(site: Site, family: str) -> str:
    return next(d for d, f in site.devices.items() if f == family)


def test_a_valid_message_of_every_family_and_channel_arrives_once_with_its_key(
    site: Site, gateways: Gateways, reader: TopicReader, endpoints
) -> None:
    gateways.start()
    client = site.client(endpoints)
    sent = []
    bodies: dict[tuple[str, str], dict[str, object]] = {
        ("gas", "telemetry"): {"concentration": 12.5, "unit": "%LEL"},
        ("shutoff", "telemetry"): {"state": "open"},
        ("elevator", "telemetry"): {"floor": 3, "moving": True},
        ("fire", "telemetry"): {"residual_current_ma": 35, "temperature_c": 41.0},
        ("gas", "event"): {"event": "fault"},
        ("shutoff", "event"): {"event": "valve_closed"},
        ("elevator", "event"): {"event": "trapped"},
        ("fire", "event"): {"event": "fire_alarm"},
    }
    for family in ("gas", "shutoff", "elevator", "fire"):
        bodies[(family, "heartbeat")] = {}
    for seq, ((family, channel), body) in enumerate(bodies.items(), start=1):
        device = _by_family(site, family)
        _publish(
            client, f"hw/v1/{site.enterprise_id}/{device}/{channel}", {"ts": MS, "seq": seq, **body}
        )
        sent.append((device, channel, seq, body))
    records = reader.take(len(sent))
    assert reader.quiet() == []
    got = sorted((key.decode(), v["channel"], v["seq"]) for topic, key, v in records)
    assert got == sorted((d, c, s) for d, c, s, _ in sent)
    assert {topic for topic, _, _ in records} == {endpoints.topics.readings}
    for _topic, key, envelope in records:
        assert envelope["device_id"] == key.decode()
        assert envelope["enterprise_id"] == site.enterprise_id
        assert envelope["division"] == "330106001001"
        assert envelope["family"] == site.devices[key.decode()]
    client.loop_stop()


def test_a_field_gateway_batch_splits_and_a_bad_item_is_rejected_alone(
    site: Site, gateways: Gateways, reader: TopicReader, endpoints
) -> None:
    gateways.start()
    client = site.client(endpoints)
    gas, valve, lift = (_by_family(site, f) for f in ("gas", "shutoff", "elevator"))
    _publish(
        client,
        f"hw/v1/{site.enterprise_id}/GW-1/batch",
        {
            "readings": [
                {
                    "device_id": gas,
                    "channel": "telemetry",
                    "ts": MS,
                    "seq": 1,
                    "concentration": 2.0,
                    "unit": "%LEL",
                },
                {"device_id": valve, "channel": "telemetry", "ts": MS, "seq": 1, "state": "ajar"},
                {"device_id": lift, "channel": "heartbeat", "ts": MS, "seq": 1},
                {"device_id": valve, "channel": "telemetry", "ts": MS, "seq": 2, "state": "closed"},
            ]
        },
    )
    records = reader.take(4)
    readings = sorted(
        (k.decode(), v["seq"]) for t, k, v in records if t == endpoints.topics.readings
    )
    rejected = sorted(
        (v["reason"], v["device_id"]) for t, _, v in records if t == endpoints.topics.rejected
    )
    assert readings == sorted([(gas, 1), (valve, 2)])
    assert rejected == sorted([("schema", valve), ("not_owner", lift)])
    client.loop_stop()


def test_every_reason_code_lands_on_the_rejected_topic(
    site: Site, gateways: Gateways, reader: TopicReader, endpoints
) -> None:
    gateways.start()
    client = site.client(endpoints)
    ent, gas = site.enterprise_id, _by_family(site, "gas")
    _publish(client, f"hw/v1/{ent}/{gas}/telemetry", b"{oops")
    _publish(
        client,
        f"hw/v1/{ent}/{gas}/telemetry",
        {"ts": MS, "seq": 1, "concentration": -1, "unit": "%LEL"},
    )
    _publish(client, f"hw/v1/{ent}/NOPE-1/heartbeat", {"ts": MS, "seq": 1})
    _publish(client, f"hw/v1/{ent}/{gas}/heartbeat", b'{"pad": "' + b"x" * 20000 + b'"}')
    _publish(client, f"hw/v1/{ent}/{gas}/heartbeat", {"ts": MS + 48 * 3600_000, "seq": 2})
    for seq in range(100, 160):  # the burst allowance is 50
        _publish(client, f"hw/v1/{ent}/{gas}/heartbeat", {"ts": MS, "seq": seq}, qos=0)
    records = reader.take(5 + 60, timeout=60)
    reasons = {v["reason"] for t, _, v in records if t == endpoints.topics.rejected}
    assert {
        "bad_json",
        "schema",
        "unknown_device",
        "too_large",
        "future_ts",
        "rate_limited",
    } <= reasons
    for t, _, v in records:
        if t == endpoints.topics.rejected:
            assert v["detail"] and v["raw_b64"] and v["mqtt_topic"].startswith(f"hw/v1/{ent}/")
    client.loop_stop()


def test_an_enterprise_cannot_speak_for_another_enterprises_device(
    site: Site, gateways: Gateways, reader: TopicReader, endpoints, mqtt_enterprise
) -> None:
    gateways.start()
    intruder_id, intruder_password = mqtt_enterprise()
    intruder = Site(intruder_id, intruder_password, {})
    client = intruder.client(endpoints)
    gas = _by_family(site, "gas")
    # Under its own prefix the broker lets it through; the gateway sees a foreign device.
    _publish(client, f"hw/v1/{intruder_id}/{gas}/heartbeat", {"ts": MS, "seq": 1})
    # Under the victim's prefix the broker's ACL drops it before any gateway sees it.
    _publish(client, f"hw/v1/{site.enterprise_id}/{gas}/heartbeat", {"ts": MS, "seq": 2})
    [(topic, _key, value)] = reader.take(1)
    assert topic == endpoints.topics.rejected and value["reason"] == "not_owner"
    assert reader.quiet() == []
    client.loop_stop()


def test_the_same_device_and_seq_twice_carries_the_same_key_and_seq(
    site: Site, gateways: Gateways, reader: TopicReader, endpoints
) -> None:
    gateways.start()
    client = site.client(endpoints)
    gas = _by_family(site, "gas")
    for _ in range(2):
        _publish(
            client,
            f"hw/v1/{site.enterprise_id}/{gas}/telemetry",
            {"ts": MS, "seq": 42, "concentration": 1.0, "unit": "%LEL"},
        )
    first, second = reader.take(2)
    assert (first[1], first[2]["seq"], first[2]["ts"]) == (
        second[1],
        second[2]["seq"],
        second[2]["ts"],
    )
    client.loop_stop()
