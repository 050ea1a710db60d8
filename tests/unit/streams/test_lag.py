"""Consumer lag from end offsets and the agents' progress."""

from __future__ import annotations

from streams.lag import Progress, StallGuard, lag_by_topic


def test_lag_is_end_minus_next_offset_summed_per_topic() -> None:
    ends = {("readings", 0): 100, ("readings", 1): 50, ("commands", 0): 7}
    positions = {("readings", 0): 90, ("readings", 1): 50, ("commands", 0): 3}
    assert lag_by_topic(ends, positions) == {"readings": 10, "commands": 4}


def test_a_partition_without_a_position_counts_as_caught_up_and_lag_is_never_negative() -> None:
    ends = {("readings", 0): 10, ("readings", 1): 5}
    assert lag_by_topic(ends, {("readings", 1): 9}) == {"readings": 0}


def test_progress_points_past_the_last_processed_message_and_forgets_revoked_partitions() -> None:
    progress, tp = Progress(), ("readings", 3)
    progress.start(tp, 41)
    assert progress.admit(tp, 41, now=0) and progress.admit(tp, 42, now=0)
    assert progress.next_offset(("readings", 3)) == 43
    progress.forget([("readings", 3)])
    assert progress.next_offset(("readings", 3)) is None


def test_a_partition_behind_whose_position_does_not_move_is_stalled_after_the_period() -> None:
    guard = StallGuard(after_s=30)
    ends, tp = {("readings", 0): 100, ("readings", 1): 50}, ("readings", 0)
    assert guard.stalled(ends, {tp: 90, ("readings", 1): 50}, now=0) == []
    assert guard.stalled(ends, {tp: 90, ("readings", 1): 50}, now=29) == []
    assert guard.stalled(ends, {tp: 90, ("readings", 1): 50}, now=30) == [(tp, 90)]
    # Reported once per period, not on every check.
    assert guard.stalled(ends, {tp: 90}, now=31) == []
    assert guard.stalled(ends, {tp: 90}, now=60) == [(tp, 90)]


def test_progress_or_catching_up_resets_the_stall_clock() -> None:
    guard = StallGuard(after_s=30)
    tp = ("readings", 0)
    guard.stalled({tp: 100}, {tp: 90}, now=0)
    assert guard.stalled({tp: 100}, {tp: 91}, now=40) == []
    assert guard.stalled({tp: 100}, {tp: 91}, now=69) == []
    assert guard.stalled({tp: 100}, {tp: 100}, now=80) == []
    assert guard.stalled({tp: 105}, {tp: 100}, now=81) == []


def test_only_the_next_offset_is_admitted_an_early_one_is_a_hole_a_late_one_is_done() -> None:
    progress, tp = Progress(quiet_s=0.5), ("readings", 0)
    progress.start(tp, 17)
    assert progress.admit(tp, 17, now=0)
    assert progress.admit(tp, 18, now=0)
    assert not progress.admit(tp, 12, now=0)  # resumed from an older commit: already done
    assert progress.holes_to_mend(now=5) == []
    assert not progress.admit(tp, 21, now=1.0)  # 19 and 20 never arrived
    assert progress.next_offset(tp) == 19
    assert progress.holes_to_mend(now=1.5) == [(tp, 19)]


def test_an_unstarted_partition_admits_whatever_comes_first() -> None:
    progress, tp = Progress(), ("readings", 0)
    assert not progress.started(tp)
    assert progress.admit(tp, 500, now=0)
    assert progress.next_offset(tp) == 501


def test_a_hole_is_mended_under_a_steady_stream_retried_while_open_forgotten_once_filled() -> None:
    # Later messages arrive every 0.1 s (a steady load): the hole is sought back quiet_s after
    # it opened all the same (it used to wait for them to stop, which they never did), then
    # again every retry_s while it stays open.
    progress, tp = Progress(quiet_s=0.5, retry_s=3.0), ("readings", 0)
    progress.start(tp, 18)
    progress.admit(tp, 21, now=1.0)
    assert progress.holes_to_mend(now=1.4) == []
    for step in range(1, 30):
        assert not progress.admit(tp, 21 + step, now=1.0 + step / 10)
    assert progress.holes_to_mend(now=1.5) == [(tp, 18)]
    assert progress.holes_to_mend(now=4.4) == []  # the seek's refetch has its time to arrive
    assert progress.holes_to_mend(now=4.5) == [(tp, 18)]
    assert progress.admit(tp, 18, now=5.0)
    assert progress.holes_to_mend(now=9.0) == []


def test_a_new_hole_after_a_mended_one_gets_its_own_grace() -> None:
    progress, tp = Progress(quiet_s=0.5, retry_s=3.0), ("readings", 0)
    progress.start(tp, 18)
    progress.admit(tp, 20, now=1.0)
    assert progress.holes_to_mend(now=1.5) == [(tp, 18)]
    assert progress.admit(tp, 18, now=2.0)
    assert not progress.admit(tp, 25, now=2.1)  # 19..24 missing now
    assert progress.holes_to_mend(now=2.5) == []
    assert progress.holes_to_mend(now=2.6) == [(tp, 19)]


def test_a_rewound_batch_is_sought_back_and_nothing_past_it_is_admitted_meanwhile() -> None:
    progress, tp = Progress(quiet_s=0.5), ("readings", 0)
    progress.start(tp, 10)
    assert all(progress.admit(tp, offset, now=0) for offset in (10, 11, 12))
    progress.rewind(tp, 10, now=1.0)
    assert not progress.admit(tp, 13, now=1.1)
    assert progress.holes_to_mend(now=1.7) == [(tp, 10)]
    assert progress.admit(tp, 10, now=2.0)
