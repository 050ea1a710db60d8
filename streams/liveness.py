"""Whether the worker's loops are still working: a worker that stops working must say so.

A worker once went on processing readings while raising nothing for 90 s, its timers
apparently not running. faust gives no sign of that: a timer task that ends (a CancelledError
out of its body ends it quietly) or never returns from an await is simply gone, and /readyz
stayed 200. Here every loop says when it last completed a run:

- a timer (the clock, the mender, the gauges, the registry refresh) beats after each run that
  did not fail; silent for `periods` of its own period, it counts as stopped;
- an agent beats after each batch; it is idle, not stopped, when it has nothing to do, so it
  counts as stopped only when a batch has been under way for `periods` of its period, or when
  input has been waiting for it (lag seen by the gauges) that long without a batch done.

(Never less than a floor: see `Liveness`.) `/readyz` fails while any loop is stopped, and each
stop counts once in `hazardwatch_streams_loop_stops_total{loop}`, so a supervisor (or
`./run up`) restarts the worker on the signal it already polls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(slots=True)
class _Loop:
    period_s: float
    agent: bool
    last: float  # last completed run (start of watching for a loop that has none yet)
    busy_since: float | None = None  # an agent's batch under way since
    waiting_since: float | None = None  # an agent's input waiting since
    stopped: bool = False


class Liveness:
    """`periods` of a loop's period without a run stop it, but never less than `min_s`: on a
    loaded machine a long batch (a county's sweep, a rebalance's reindex) delays every timer
    of the event loop for seconds, and restarting a busy worker for it would only add to the
    backlog."""

    def __init__(
        self, periods: int = 10, min_s: float = 30.0, clock: Clock = time.monotonic
    ) -> None:
        self.periods, self.min_s, self._clock = periods, min_s, clock
        self._loops: dict[str, _Loop] = {}

    def timer(self, name: str, period_s: float) -> None:
        self._loops[name] = _Loop(period_s, agent=False, last=self._clock())

    def agent(self, name: str, period_s: float) -> None:
        self._loops[name] = _Loop(period_s, agent=True, last=self._clock())

    def beat(self, name: str) -> None:
        """The loop completed a run (an agent: a batch)."""
        loop = self._loops[name]
        loop.last, loop.busy_since = self._clock(), None

    def begin(self, name: str) -> None:
        """An agent took a batch."""
        self._loops[name].busy_since = self._clock()

    def waiting(self, name: str, waiting: bool) -> None:
        """Whether input is waiting for the agent (messages behind its input's end)."""
        loop = self._loops[name]
        if not waiting:
            loop.waiting_since = None
        elif loop.waiting_since is None:
            loop.waiting_since = self._clock()

    def rest(self) -> None:
        """Restart every loop's watch (a rebalance: nothing runs until partitions return)."""
        now = self._clock()
        for loop in self._loops.values():
            loop.last = max(loop.last, now)
            loop.waiting_since = None if loop.waiting_since is None else now

    def check(self) -> tuple[list[str], list[str]]:
        """(loops stopped now, loops that stopped since the last check)."""
        now, stopped, newly = self._clock(), [], []
        for name, loop in self._loops.items():
            if self._stopped(loop, now):
                stopped.append(name)
                if not loop.stopped:
                    newly.append(name)
                loop.stopped = True
            else:
                loop.stopped = False
        return stopped, newly

    def _stopped(self, loop: _Loop, now: float) -> bool:
        limit = max(self.periods * loop.period_s, self.min_s)
        if not loop.agent:
            return now - loop.last > limit
        if loop.busy_since is not None and now - loop.busy_since > limit:
            return True
        if loop.waiting_since is None:
            return False
        return now - max(loop.last, loop.waiting_since) > limit
