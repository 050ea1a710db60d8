from __future__ import annotations

import pytest

from alerts.feed.position import Position


def test_a_position_survives_its_encoding() -> None:
    position = Position((0, 7, 3))
    assert Position.decode(position.encode(), 3) == position


def test_advancing_points_past_the_event_and_never_back() -> None:
    position = Position((0, 0)).advanced(1, 4)
    assert position == Position((0, 5))
    assert position.advanced(1, 2) == position


@pytest.mark.parametrize("text", ["", "p1", "p1-1", "p1-1-2-3", "p2-1-2", "p1-a-2", "p1-1--2"])
def test_an_id_that_is_not_a_position_of_this_topic_is_ignored(text: str) -> None:
    assert Position.decode(text, 2) is None
