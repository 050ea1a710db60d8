"""PUBACKs in the order the messages arrived, each only once all its parts are on Kafka.

MQTT 5 (4.6) asks a receiver to acknowledge QoS 1 messages in the order it received them; and
the reliability contract asks that nothing is acknowledged before Kafka has it. A batch has one
part per reading; a single message has one part.
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
    def __init__(self, send_ack: Callable[[int], None]) -> None:
        self._send_ack = send_ack
        self._queue: deque[Pending] = deque()
        self._lock = threading.Lock()
        self._generation = 0

    def received(self, mid: int, parts: int) -> Pending:
        with self._lock:
            pending = Pending(mid, parts, self._generation)
            self._queue.append(pending)
            self._flush()
            return pending

    def part_done(self, pending: Pending) -> None:
        with self._lock:
            if pending.generation != self._generation:
                return  # from a connection that is gone: the broker will redeliver it
            pending.remaining -= 1
            self._flush()

    def reset(self) -> int:
        """Forget every pending message (the connection dropped); returns how many."""
        with self._lock:
            dropped = len(self._queue)
            self._queue.clear()
            self._generation += 1
            return dropped

    def __len__(self) -> int:
        return len(self._queue)

    def _flush(self) -> None:
        while self._queue and self._queue[0].remaining <= 0:
            self._send_ack(self._queue.popleft().mid)
