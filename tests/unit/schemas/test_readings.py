from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.families import Channel, Family, Severity
from schemas.readings import MODELS, parse_payload

TS = "2026-11-23T08:00:00Z"


def test_every_family_and_channel_has_a_payload_model():
    assert set(MODELS) == {(f, c) for f in Family for c in Channel}


def test_severities_rank_red_as_the_most_severe():
    assert sorted(Severity, key=lambda s: s.rank) == [
        Severity.RED,
        Severity.ORANGE,
        Severity.YELLOW,
        Severity.BLUE,
    ]


def test_a_misspelt_field_is_refused_and_named():
    with pytest.raises(ValidationError) as refused:
        parse_payload(
            Family.GAS, Channel.TELEMETRY, {"ts": TS, "seq": 1, "concentraton": 3, "unit": "ppm"}
        )
    assert "concentraton" in str(refused.value)


@pytest.mark.parametrize(
    ("family", "body"),
    [
        (Family.GAS, {"event": "trapped"}),
        (Family.ELEVATOR, {"event": "fire_alarm"}),
        (Family.FIRE, {"event": "ebike_detected"}),
    ],
)
def test_an_event_of_another_family_is_refused(family, body):
    with pytest.raises(ValidationError):
        parse_payload(family, Channel.EVENT, {"ts": TS, "seq": 1, **body})


@pytest.mark.parametrize("seq", [-1, 1.5, "3", True])
def test_seq_must_be_a_non_negative_integer(seq):
    with pytest.raises(ValidationError):
        parse_payload(Family.FIRE, Channel.HEARTBEAT, {"ts": TS, "seq": seq})


def test_fire_telemetry_fields_are_each_optional():
    parsed = parse_payload(Family.FIRE, Channel.TELEMETRY, {"ts": TS, "seq": 0})
    assert parsed.model_dump(exclude={"ts", "seq"}) == {
        "residual_current_ma": None,
        "temperature_c": None,
    }
