"""When to restart a process that exited, and when to give up: pure, so it is unit-tested."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RestartPolicy:
    # The first restart is immediate (a kill -9 or an OOM should cost seconds, not more); each
    # further one within `window_s` waits twice as long, up to `max_backoff_s`.
    first_backoff_s: float = 0.0
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    # More than this many restarts within the window is a crash loop: stop and say so.
    max_restarts: int = 5
    window_s: float = 120.0
    # Processes kept with a warm standby (deploy.supervisor.standby) that takes over at once
    # when the running one exits, and how long after a start the next standby is made (its
    # imports would otherwise compete for the CPU with the start itself). "streams" names every
    # worker (streams-1, streams-2, ...): its imports are most of a restarted worker's blackout.
    standby: frozenset[str] = frozenset({"alerts", "sinks", "streams"})
    standby_delay_s: float = 5.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RestartPolicy:
        env = os.environ if env is None else env
        return cls(
            backoff_s=float(env.get("HW_SUPERVISOR_BACKOFF_S", cls.backoff_s)),
            max_backoff_s=float(env.get("HW_SUPERVISOR_MAX_BACKOFF_S", cls.max_backoff_s)),
            max_restarts=int(env.get("HW_SUPERVISOR_MAX_RESTARTS", cls.max_restarts)),
            window_s=float(env.get("HW_SUPERVISOR_WINDOW_S", cls.window_s)),
            standby=_names(env.get("HW_SUPERVISOR_STANDBY"), cls.standby),
            standby_delay_s=float(env.get("HW_SUPERVISOR_STANDBY_DELAY_S", cls.standby_delay_s)),
        )

    def wants_standby(self, name: str) -> bool:
        kind = name.rsplit("-", 1)[0] if name[-1:].isdigit() else name
        return "all" in self.standby or name in self.standby or kind in self.standby


def _names(text: str | None, default: frozenset[str]) -> frozenset[str]:
    """A comma list of process names, "all" or "none"; unset: the default."""
    if text is None:
        return default
    return frozenset(n.strip() for n in text.split(",") if n.strip() and n.strip() != "none")


@dataclass
class RestartHistory:
    """The recent exits of one process, and what to do about the next one."""

    policy: RestartPolicy
    exits: deque[float] = field(default_factory=deque)

    def on_exit(self, now: float) -> float | None:
        """Seconds to wait before restarting, or None: a crash loop, give up."""
        self.exits.append(now)
        while self.exits and now - self.exits[0] > self.policy.window_s:
            self.exits.popleft()
        recent = len(self.exits)
        if recent > self.policy.max_restarts:
            return None
        if recent == 1:
            return self.policy.first_backoff_s
        return min(self.policy.backoff_s * 2.0 ** (recent - 2), self.policy.max_backoff_s)

    def reset(self) -> None:
        self.exits.clear()
