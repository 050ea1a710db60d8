"""faust's read-offset mark, unset for the agents' inputs so a seek's refetch is handed over."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from faust.types import TP

from streams.redelivery import ReadOffsets, hand_over_refetches


def handed_over(marks: Any, tp: TP, offset: int) -> bool:
    """faust's fetch loop (Consumer._drain_messages): below the mark is dropped as read."""
    mark = marks.__getitem__(tp)
    return bool(mark is None or offset >= mark)


def test_a_refetch_behind_the_mark_is_handed_over_on_inputs_only() -> None:
    readings, changelog = TP("readings", 3), TP("app-device-state-changelog", 3)
    marks = ReadOffsets(["readings"])
    # faust handed over offsets up to 500 of a batch fetched before the seek back to 100.
    marks[readings], marks[changelog] = 500, 500
    assert handed_over(marks, readings, 100)
    assert not handed_over(marks, changelog, 100)
    assert handed_over(marks, TP("app-device-state-changelog", 4), 0)  # never marked


def test_faust_s_own_writes_and_removals_still_work() -> None:
    consumer = type("Consumer", (), {})()
    consumer._read_offset = defaultdict(lambda: None, {TP("other", 0): 7})
    hand_over_refetches(consumer, ["readings"])
    marks = consumer._read_offset
    assert isinstance(marks, ReadOffsets) and marks[TP("other", 0)] == 7
    marks.update({TP("readings", 1): 9})  # a seek to committed offsets
    assert TP("readings", 1) in marks
    del marks[TP("readings", 1)]  # a seek to offset 0
    marks.pop(TP("other", 0), None)  # a revocation
    assert dict(marks) == {}
