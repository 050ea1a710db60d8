"""Lets a seek back bring an input partition's messages round again, even under load.

faust's fetch loop remembers, per partition, the last offset it handed over (`_read_offset`)
and drops any fetched message below it as already read. A seek resets that mark, but the loop
is usually in the middle of a fetched batch (under a backlog it waits there for room in the
agent's buffer): it goes on handing over the rest of that batch, moving the mark past the
offset sought, and then drops the refetched messages. Under a steady load every seek back
was undone this way, and a hole after a restart was never mended (issue 21: a worker that
never caught up, logging "seeking back" for the same offsets).

The agents do not need the mark: `streams.lag.Progress` admits only the next offset of each
partition and skips what was processed already. So for the agents' input topics the mark
reads as unset, and faust hands over whatever it fetches; its own topics (changelogs, the
leader topic) keep faust's behaviour.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from faust.types import TP


class ReadOffsets(defaultdict[TP, int | None]):
    """faust's `Consumer._read_offset`, always None for the given topics.

    faust only ever reads the mark through `__getitem__` (its fetch loop binds that method when
    it starts), and writes it on seeks and deliveries; writes are kept, so faust's other uses
    (revocation, seeks to committed offsets) behave as before."""

    def __init__(self, topics: Iterable[str]) -> None:
        super().__init__(lambda: None)
        self._unmarked = frozenset(topics)

    def __getitem__(self, tp: TP) -> int | None:
        if tp.topic in self._unmarked:
            return None
        return super().__getitem__(tp)


def hand_over_refetches(consumer: Any, topics: Iterable[str]) -> None:
    """Installs `ReadOffsets` on faust's consumer; must run before its fetch loop starts."""
    marks = ReadOffsets(topics)
    marks.update(consumer._read_offset)
    consumer._read_offset = marks
