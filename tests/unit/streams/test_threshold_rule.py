from __future__ import annotations

from schemas.families import Severity
from streams.rules.decisions import Cleared, Decision, Detected, Sample
from streams.rules.threshold import Level, ThresholdRule, ThresholdState, evaluate

from .factories import at

GAS = ThresholdRule(
    "gas_level",
    (Level(Severity.ORANGE, 25.0, 0.0), Level(Severity.RED, 50.0, 5.0)),
    hysteresis=0.1,
    clear_after_s=30.0,
)


def run(
    values: list[tuple[float, float]], rule: ThresholdRule = GAS
) -> tuple[ThresholdState, list[Decision]]:
    state, decisions = ThresholdState(), list[Decision]()
    for seconds, value in values:
        state, new = evaluate(state, Sample(at(seconds), value), rule)
        decisions.extend(new)
    return state, decisions


def test_a_value_below_every_level_decides_nothing():
    state, decisions = run([(0, 10.0), (1, 24.9)])
    assert decisions == []
    assert state.active == 0


def test_level_one_is_raised_as_soon_as_it_is_reached():
    _, decisions = run([(0, 10.0), (1, 26.0)])
    assert decisions == [Detected("gas_level", Severity.ORANGE, 26.0, 25.0)]


def test_level_two_needs_to_hold_for_raise_after_seconds():
    _, short = run([(0, 55.0), (4, 55.0)])
    _, held = run([(0, 55.0), (5, 55.0)])
    assert [d.severity for d in short if isinstance(d, Detected)] == [Severity.ORANGE]
    assert [d.severity for d in held if isinstance(d, Detected)] == [Severity.ORANGE, Severity.RED]


def test_a_dip_below_level_two_restarts_its_raise_delay():
    _, decisions = run([(0, 55.0), (3, 45.0), (4, 55.0), (8, 55.0)])
    assert all(d.severity != Severity.RED for d in decisions if isinstance(d, Detected))


def test_noise_around_the_threshold_raises_once_and_never_clears():
    noise = [(float(s), 26.0 if s % 2 else 23.0) for s in range(120)]
    _, decisions = run(noise)
    assert decisions == [Detected("gas_level", Severity.ORANGE, 26.0, 25.0)]


def test_clearing_needs_the_value_below_the_hysteresis_point_for_clear_after():
    _, early = run([(0, 30.0), (1, 20.0), (30, 20.0)])
    _, late = run([(0, 30.0), (1, 20.0), (31, 20.0)])
    assert not any(isinstance(d, Cleared) for d in early)
    assert late[-1] == Cleared("gas_level", 20.0)


def test_a_value_inside_the_hysteresis_band_keeps_the_alarm():
    _, decisions = run([(0, 30.0), (1, 23.0), (100, 23.0)])
    assert not any(isinstance(d, Cleared) for d in decisions)


def test_level_two_steps_down_to_level_one_when_it_relaxes():
    _, decisions = run([(0, 60.0), (5, 60.0), (6, 30.0), (36, 30.0)])
    assert decisions[-1] == Detected("gas_level", Severity.ORANGE, 30.0, 25.0)
