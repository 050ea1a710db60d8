"""From faust's events to the batch an agent applies, and back to a stored position.

Each agent (devices, sites) has its own intake over its own table: it admits only the next
offset of each partition (`streams.lag.Progress`, started from `streams.positions`), and
after the batch is saved it names the positions to store with it. A batch that failed to
save is rewound, so nothing admitted is lost when the worker carries on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from streams.lag import Partition, Progress
from streams.positions import stored_position
from streams.processor import Message
from streams.tables import StateTable

log = logging.getLogger(__name__)
Apply = Callable[[Sequence[Message], Mapping[Partition, int]], Awaitable[None]]


class Intake:
    def __init__(self, name: str, table: StateTable, progress: Progress) -> None:
        self.name, self.table, self.progress = name, table, progress

    def start(self, tp: Partition) -> None:
        """Starts an assigned partition from its stored position before any message of it
        arrives, so a partition faust never hands a message of counts as stalled."""
        if not self.progress.started(tp):
            self.progress.start(tp, stored_position(self.table, *tp))

    async def take(self, events: Sequence[Any], apply: Apply) -> None:
        """Applies the admitted messages of a batch of faust events, with their positions."""
        batch, firsts, now = [], dict[Partition, int](), time.monotonic()
        for event in events:
            message = event.message
            tp = (message.topic, message.partition)
            self.start(tp)
            if not self.progress.admit(tp, message.offset, now):
                continue
            firsts.setdefault(tp, message.offset)
            batch.append((message.topic, event.key, event.value, message.partition))
        if not batch:
            return
        positions = {tp: self.progress.next_offset(tp) or 0 for tp in firsts}
        try:
            await apply(batch, positions)
        except Exception:
            # faust acks the batch whatever happens; the stored positions did not move, and
            # seeking back to the batch's first offsets brings its messages round again.
            log.exception("%s: a batch of %d messages was not saved; rewinding", self.name,
                          len(batch))
            for tp, first in firsts.items():
                self.progress.rewind(tp, first, time.monotonic())
