"""The supervisor's restart policy: at once the first time, then with doubling backoff, and a
crash loop (too many exits within the window) is given up on."""

from __future__ import annotations

from deploy.stack.config import StackConfig
from deploy.supervisor.policy import RestartHistory, RestartPolicy


def test_the_first_exit_restarts_at_once_and_later_ones_back_off_doubling_to_a_cap() -> None:
    history = RestartHistory(RestartPolicy(backoff_s=1.0, max_backoff_s=4.0, max_restarts=10))
    waits = [history.on_exit(float(t)) for t in range(6)]
    assert waits == [0.0, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_more_exits_than_allowed_within_the_window_is_a_crash_loop() -> None:
    history = RestartHistory(RestartPolicy(max_restarts=3, window_s=60.0))
    assert [history.on_exit(t) for t in (0.0, 1.0, 2.0)] != [None] * 3
    assert history.on_exit(3.0) is None


def test_exits_older_than_the_window_are_forgotten() -> None:
    history = RestartHistory(RestartPolicy(max_restarts=2, window_s=10.0))
    history.on_exit(0.0)
    history.on_exit(5.0)
    assert history.on_exit(30.0) == 0.0  # the earlier ones left the window: a fresh start


def test_process_ports_follow_the_api_port_unless_set() -> None:
    moved = StackConfig.from_env({"HW_API_URL": "http://127.0.0.1:28000", "HW_SINKS_PORT": "5555"})
    assert (moved.ingest_port, moved.streams_port, moved.sinks_port, moved.supervisor_port) == (
        28101, 28201, 5555, 28401)
    default = StackConfig.from_env({})
    assert (default.ingest_port, default.streams_port, default.sinks_port) == (18101, 18201, 18301)
    again = StackConfig.from_env({**moved.env(), **moved.process_env()})
    assert again.sinks_port == 5555 and again.streams_port == 28201


def test_by_default_the_api_the_sinks_and_every_worker_have_a_warm_standby() -> None:
    policy = RestartPolicy.from_env({})
    assert [n for n in ("alerts", "sinks", "streams-1", "streams-12", "ingest-1")
            if policy.wants_standby(n)] == ["alerts", "sinks", "streams-1", "streams-12"]
    one = RestartPolicy.from_env({"HW_SUPERVISOR_STANDBY": "streams-2"})
    assert (one.wants_standby("streams-2"), one.wants_standby("streams-1")) == (True, False)
    assert not RestartPolicy.from_env({"HW_SUPERVISOR_STANDBY": "none"}).wants_standby("alerts")
