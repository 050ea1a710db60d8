"""PUBACKs in the order the messages arrived, each only once all its parts are on Kafka.

MQTT 5 (4.6) asks a receiver to acknowledge QoS 1 messages in the order it received them; and
the reliability contract asks that nothing is acknowledged before Kafka has it. A batch has one
part per reading; a single message has one part.

Kafka confirms a whole produce batch at once, one callback per record: acknowledging inside
each callback cost a packet and a socket write per reading. So a confirmed part only moves its
message (and the ready ones behind it) to `ready`, and `flush` hands everything ready to
`send_acks` in one call: the gateway's acker thread flushes once Kafka's callbacks for a batch
have run.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class Pending:
    mid: int
    remaining: int
    generation: int


class OrderedAcks:
    def __init__(
        self, send_acks: Callable[[list[int]], None], on_ready: Callable[[], None] = lambda: None
    ) -> None:
        self._send_acks = send_acks
        self._on_ready = on_ready  # called when `ready` stops being empty
        self._queue: deque[Pending] = deque()
        self._ready: list[int] = []
        self._lock = threading.Lock()
        self._generation = 0

    def received(self, mid: int, parts: int) -> Pending:
        with self._lock:
            pending = Pending(mid, parts, self._generation)
            self._queue.append(pending)
            self._advance()
            return pending

    def part_done(self, pending: Pending) -> None:
        with self._lock:
            if pending.generation != self._generation:
                return  # from a connection that is gone: the broker will redeliver it
            pending.remaining -= 1
            self._advance()

    def parts_done(self, parts: list[Pending]) -> None:
        """`part_done` for each, under one lock: the parts of one Kafka produce batch."""
        if not parts:
            return
        with self._lock:
            generation = self._generation
            for pending in parts:
                if pending.generation == generation:
                    pending.remaining -= 1
            self._advance()

    def flush(self) -> int:
        """Acknowledges every ready message, in order, in one `send_acks`; returns how many.
        Under the lock, so a `reset` (the connection dropped) never lets an old mid through."""
        with self._lock:
            ready, self._ready = self._ready, []
            if ready:
                self._send_acks(ready)
            return len(ready)

    def reset(self) -> int:
        """Forget every pending message (the connection dropped); returns how many."""
        with self._lock:
            dropped = len(self._queue) + len(self._ready)
            self._queue.clear()
            self._ready = []
            self._generation += 1
            return dropped

    def __len__(self) -> int:
        return len(self._queue) + len(self._ready)

    def _advance(self) -> None:
        was_empty = not self._ready
        while self._queue and self._queue[0].remaining <= 0:
            self._ready.append(self._queue.popleft().mid)
        if was_empty and self._ready:
            self._on_ready()
