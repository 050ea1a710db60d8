from __future__ import annotations

from datetime import timedelta

from schemas.families import Family, Severity
from streams.rules import discrete, interlock, offline, oxygen, site, tamper
from streams.rules.decisions import Cleared, Detected, Sample

from .factories import at, rid


def test_oxygen_deficiency_held_for_raise_after_is_raised():
    rule = oxygen.OxygenRule()
    state, first = oxygen.evaluate(oxygen.OxygenState(), Sample(at(0), 18.0), rule)
    state, second = oxygen.evaluate(state, Sample(at(5), 18.0), rule)
    assert first == []
    assert second == [Detected("oxygen", Severity.ORANGE, 18.0, 19.5, "oxygen deficiency")]


def test_oxygen_clears_only_well_inside_the_band_for_clear_after():
    rule = oxygen.OxygenRule(raise_after_s=0)
    state, _ = oxygen.evaluate(oxygen.OxygenState(), Sample(at(0), 24.0), rule)
    state, edge = oxygen.evaluate(state, Sample(at(1), 23.2), rule)
    state, inside = oxygen.evaluate(state, Sample(at(2), 20.9), rule)
    state, cleared = oxygen.evaluate(state, Sample(at(32), 20.9), rule)
    assert (edge, inside) == ([], [])
    assert cleared == [Cleared("oxygen", 20.9)]


def test_a_trapped_passenger_is_a_red_alarm_at_once():
    assert discrete.evaluate_event(Family.ELEVATOR, "trapped") == [
        Detected("trapped", Severity.RED, message="trapped")
    ]


def test_an_unknown_event_name_decides_nothing():
    assert discrete.evaluate_event(Family.FIRE, f"unknown-{rid()}") == []


def test_a_valve_fault_raises_and_leaving_fault_clears():
    assert discrete.evaluate_valve_state("open", "fault")[0].condition == "valve_fault"
    assert discrete.evaluate_valve_state("fault", "closed") == [Cleared("valve_fault")]
    assert discrete.evaluate_valve_state("fault", "fault") == []


def test_offline_defaults_to_three_intervals_but_at_least_thirty_seconds():
    assert offline.offline_after(5, None) == 30
    assert offline.offline_after(20, None) == 60
    assert offline.offline_after(20, 45) == 45


def test_a_silent_device_goes_offline_at_its_deadline_and_back_on_its_next_message():
    rule = offline.OfflineRule(offline_after_s=30)
    state, _ = offline.on_seen(offline.OfflineState(), at(0))
    assert offline.on_tick(state, at(29), rule) == (state, [])
    state, went = offline.on_tick(state, at(31), rule)
    assert [d.condition for d in went] == ["offline"]
    assert offline.on_tick(state, at(60), rule) == (state, [])
    state, back = offline.on_seen(state, at(61))
    assert back == [Cleared("offline")]
    assert offline.deadline(state, rule) == at(91)


def test_a_frozen_non_zero_value_is_flagged_and_a_change_clears_it():
    rule = tamper.TamperRule(flatline_after_s=60)
    state, _ = tamper.evaluate_flatline(tamper.FlatlineState(), Sample(at(0), 3.2), rule)
    state, early = tamper.evaluate_flatline(state, Sample(at(59), 3.2), rule)
    state, flagged = tamper.evaluate_flatline(state, Sample(at(60), 3.2), rule)
    state, cleared = tamper.evaluate_flatline(state, Sample(at(61), 3.3), rule)
    assert early == []
    assert [d.condition for d in flagged] == ["tamper_flatline"]
    assert cleared == [Cleared("tamper_flatline", 3.3)]


def test_a_detector_reading_zero_for_long_is_not_a_flatline():
    rule = tamper.TamperRule(flatline_after_s=60)
    state, _ = tamper.evaluate_flatline(tamper.FlatlineState(), Sample(at(0), 0.0), rule)
    _, decisions = tamper.evaluate_flatline(state, Sample(at(3600), 0.0), rule)
    assert decisions == []


def test_the_third_offline_episode_within_a_day_is_a_tamper_flag():
    rule = tamper.TamperRule()
    episodes, first = tamper.evaluate_offline_episode((), at(0), rule)
    old, _ = tamper.evaluate_offline_episode(episodes, at(3600), rule)
    _, third = tamper.evaluate_offline_episode(old, at(7200), rule)
    _, late = tamper.evaluate_offline_episode(old, at(0) + timedelta(days=1, seconds=1), rule)
    assert first == []
    assert [d.condition for d in third] == ["tamper_offline_repeated"]
    assert late == []


def test_a_valve_still_open_after_the_interlock_time_is_an_interlock_failure():
    rule = interlock.InterlockRule(interlock_s=10)
    state = interlock.on_demand(interlock.InterlockState(valve_state="open"), "gd-1", at(0), rule)
    assert interlock.on_tick(state, at(9), rule) == (state, [])
    state, decisions = interlock.on_tick(state, at(10), rule)
    assert [d.condition for d in decisions] == ["interlock_failure"]
    assert isinstance(decisions[0], Detected) and decisions[0].severity == Severity.RED
    state, closed = interlock.on_valve_state(state, "closed")
    assert closed == [Cleared("interlock_failure")]


def test_a_valve_that_closes_in_time_is_no_interlock_failure():
    rule = interlock.InterlockRule(interlock_s=10)
    state = interlock.on_demand(interlock.InterlockState(), "gd-1", at(0), rule)
    state, _ = interlock.on_valve_state(state, "closed")
    assert interlock.on_tick(state, at(60), rule)[1] == []
    assert interlock.next_deadline(state) is None


def test_a_site_alarm_needs_every_device_offline_and_clears_on_the_first_back():
    rule = site.SiteRule()
    state, one = site.on_presence(site.SiteState(), "a", False, 3, rule)
    state, two = site.on_presence(state, "b", False, 3, rule)
    state, three = site.on_presence(state, "c", False, 3, rule)
    state, back = site.on_presence(state, "b", True, 3, rule)
    assert one == two == []
    assert [d.condition for d in three] == ["site_offline"]
    assert [type(d) for d in back] == [Cleared]


def test_a_single_device_site_never_gets_a_site_alarm():
    _, decisions = site.on_presence(site.SiteState(), "a", False, 1, site.SiteRule())
    assert decisions == []
