"""A timer or agent that has not run for its periods is reported stopped, once per stop."""

from __future__ import annotations

from streams.liveness import Liveness


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def watch(periods: int = 5, min_s: float = 0.0) -> tuple[Liveness, Clock]:
    clock = Clock()
    liveness = Liveness(periods, min_s, clock)
    liveness.timer("clock", 1.0)
    liveness.agent("devices", 5.0)
    return liveness, clock


def test_a_timer_that_keeps_beating_is_running_and_one_that_stops_is_reported_once() -> None:
    liveness, clock = watch()
    for _ in range(20):
        clock.now += 1.0
        liveness.beat("clock")
        assert liveness.check() == ([], [])
    clock.now += 5.5
    assert liveness.check() == (["clock"], ["clock"])
    clock.now += 10
    assert liveness.check() == (["clock"], [])  # still stopped: counted once
    liveness.beat("clock")
    assert liveness.check() == ([], [])
    clock.now += 6
    assert liveness.check() == (["clock"], ["clock"])  # a second stop counts again


def test_the_floor_keeps_a_timer_delayed_by_a_long_batch_running() -> None:
    liveness, clock = watch(periods=5, min_s=30.0)
    clock.now += 20  # 20 periods of the clock, but under the floor
    assert liveness.check() == ([], [])
    clock.now += 11
    assert liveness.check()[0] == ["clock"]


def test_an_idle_agent_is_not_stopped_but_one_with_work_waiting_and_no_batch_is() -> None:
    liveness, clock = watch()
    liveness.beat("clock")
    clock.now += 100
    liveness.beat("clock")
    assert "devices" not in liveness.check()[0]  # nothing to do for 100 s: idle, fine
    liveness.waiting("devices", True)
    clock.now += 20
    liveness.beat("clock")
    assert "devices" not in liveness.check()[0]
    clock.now += 6
    liveness.beat("clock")
    assert liveness.check()[0] == ["devices"]
    liveness.begin("devices")
    liveness.beat("devices")
    assert liveness.check()[0] == []
    liveness.waiting("devices", False)
    clock.now += 100
    liveness.beat("clock")
    assert liveness.check()[0] == []


def test_an_agent_stuck_inside_a_batch_is_stopped() -> None:
    liveness, clock = watch()
    liveness.begin("devices")
    clock.now += 24
    liveness.beat("clock")
    assert liveness.check()[0] == []
    clock.now += 2
    liveness.beat("clock")
    assert liveness.check()[0] == ["devices"]


def test_a_rebalance_restarts_the_watch() -> None:
    liveness, clock = watch()
    liveness.waiting("devices", True)
    clock.now += 24
    liveness.rest()
    clock.now += 4
    assert liveness.check()[0] == []
    clock.now += 2
    assert liveness.check()[0] == ["clock"]
    clock.now += 20
    assert liveness.check()[0] == ["clock", "devices"]
