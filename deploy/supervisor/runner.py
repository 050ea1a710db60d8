"""The supervisor's loop: start every process, notice at once when one exits (they are its
children), restart it after the policy's backoff, give up on a crash loop and say so.

A process of the policy's `standby` list has a warm standby beside it (deploy.supervisor.
standby: its code imported, nothing opened) made `standby_delay_s` after each start; a restart
hands over to it instead of starting from nothing, so it serves within its own set-up time.

Stopping the supervisor (SIGTERM) leaves the processes running: `./run down` stops it first
and the processes after, and a supervisor started again adopts what still runs. SIGHUP (sent
by `./run up` when the supervisor runs already) retries every process given up on.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType

from deploy.services import Service
from deploy.stack import process
from deploy.stack.config import StackConfig
from deploy.supervisor import standby, state
from deploy.supervisor.metrics import SupervisorMetrics
from deploy.supervisor.policy import RestartHistory, RestartPolicy

log = logging.getLogger("supervisor")
_TICK_S = 0.1
_SPARE_RETRY_S = 30.0  # after a standby died on its own (broken code would die again)


@dataclass
class _Watched:
    service: Service
    history: RestartHistory
    child: subprocess.Popen[bytes] | None = None
    adopted: int | None = None  # a pid found running at start: not our child, polled in /proc
    started_at: float = 0.0
    restart_at: float | None = None
    restarts: int = 0
    crash_loop: str = ""
    last_exit: str = ""
    spare: subprocess.Popen[bytes] | None = None  # the warm standby, waiting for "go"
    spare_at: float | None = None  # when to make the next standby
    spare_fd: int | None = None  # where the standby says it is warm
    spare_warm: bool = False

    @property
    def pid(self) -> int | None:
        return self.child.pid if self.child is not None else self.adopted


@dataclass
class Supervisor:
    cfg: StackConfig
    services: Sequence[Service]
    policy: RestartPolicy
    metrics: SupervisorMetrics
    clock: Callable[[], float] = time.monotonic
    _watched: list[_Watched] = field(default_factory=list)
    _stopping: bool = False
    _retry: bool = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, self._on_term)
        signal.signal(signal.SIGHUP, self._on_hup)
        self._watched = [_Watched(s, RestartHistory(self.policy)) for s in self.services]
        for watched in self._watched:
            pid = watched.service.pid(self.cfg)
            if pid is not None:
                watched.adopted, watched.started_at = pid, self.clock()
                self._plan_spare(watched, self.clock())
                log.info("%s: already running as pid %d, watching it", watched.service.name, pid)
            else:
                self._start(watched)
        self._publish()
        try:
            while not self._stopping:
                changed = self.step()
                if changed:
                    self._publish()
                time.sleep(_TICK_S)
        finally:
            for watched in self._watched:
                self._drop_spare(watched)
        log.info("stopping; the processes keep running (./run down stops them)")

    def step(self) -> bool:
        """One look at every process; whether anything changed."""
        changed, now = False, self.clock()
        if self._retry:
            self._retry, changed = False, True
            for watched in self._watched:
                if watched.crash_loop:
                    log.info("%s: retrying after the crash loop (./run up)", watched.service.name)
                    watched.crash_loop, watched.restart_at = "", now
                    watched.history.reset()
        for watched in self._watched:
            if watched.pid is not None:
                exit_text = self._exited(watched)
                if exit_text is not None:
                    self._on_exit(watched, exit_text, now)
                    changed = True
            elif watched.restart_at is not None and now >= watched.restart_at:
                watched.restarts += 1
                self.metrics.restarts.labels(watched.service.name).inc()
                how = "its warm standby" if self._start(watched) else "a fresh process"
                log.info("%s: restarted as pid %s from %s (restart %d)", watched.service.name,
                         watched.pid, how, watched.restarts)
                changed = True
            changed = self._tend_spare(watched, now) or changed
        return changed

    def _exited(self, watched: _Watched) -> str | None:
        if watched.child is not None:
            code = watched.child.poll()
            if code is None:
                return None
            watched.child = None
            if code < 0:
                return f"killed by {signal.Signals(-code).name}"
            return f"exit status {code}"
        if process.read_pid(self.cfg.pid_file(watched.service.name), watched.service.marker):
            return None
        watched.adopted = None
        return "gone (not started by this supervisor: exit status unknown)"

    def _on_exit(self, watched: _Watched, exit_text: str, now: float) -> None:
        name, ran = watched.service.name, now - watched.started_at
        watched.last_exit = exit_text
        self.metrics.up.labels(name).set(0)
        wait = watched.history.on_exit(now)
        if wait is None:
            recent = len(watched.history.exits)
            watched.crash_loop = (
                f"exited {recent} times within {self.policy.window_s:.0f} s (last: {exit_text}); "
                f"not restarted again. See {self.cfg.log_file(name)}, fix it, then ./run up"
            )
            watched.restart_at = None
            self._drop_spare(watched)
            self.metrics.crash_loops.labels(name).inc()
            log.error("%s: %s", name, watched.crash_loop)
            return
        watched.restart_at = now + wait
        log.warning("%s: %s after %.1f s; restarting in %.1f s", name, exit_text, ran, wait)

    def _start(self, watched: _Watched) -> bool:
        """Starts the process; whether its warm standby took over."""
        service = watched.service
        spare, watched.spare = watched.spare, None
        self._forget_spare_fd(watched)
        if spare is not None and not _release(spare):
            spare = None
        if spare is not None:
            watched.child = spare
            self.cfg.pid_file(service.name).write_text(f"{spare.pid}\n")
        else:
            watched.child = process.spawn(
                service.argv,
                pid_file=self.cfg.pid_file(service.name),
                log_file=self.cfg.log_file(service.name),
                env={**os.environ, **service.env},
            )
        watched.adopted, watched.restart_at = None, None
        watched.started_at = self.clock()
        self._plan_spare(watched, watched.started_at)
        self.metrics.up.labels(service.name).set(1)
        return spare is not None

    def _plan_spare(self, watched: _Watched, now: float) -> None:
        if self.policy.wants_standby(watched.service.name):
            watched.spare_at = now + self.policy.standby_delay_s

    def _tend_spare(self, watched: _Watched, now: float) -> bool:
        """Notices a standby that died or got warm; makes the next one when it is due.
        Whether anything changed that `./run status` shows."""
        changed = False
        if watched.spare is not None and watched.spare.poll() is not None:
            log.warning("%s: its standby exited (status %s); another in %.0f s",
                        watched.service.name, watched.spare.returncode, _SPARE_RETRY_S)
            watched.spare, watched.spare_at = None, now + _SPARE_RETRY_S
            self._forget_spare_fd(watched)
            changed = True
        if watched.spare_fd is not None:
            try:
                said = os.read(watched.spare_fd, 64)
            except BlockingIOError:
                said = None
            if said is not None:  # "warm", or EOF from a standby that is dying
                watched.spare_warm = said.startswith(standby.WARM)
                self._forget_spare_fd(watched, keep_warm=True)
                changed = True
        due = watched.spare_at is not None and now >= watched.spare_at
        if due and watched.spare is None and watched.pid is not None:
            watched.spare_at = None
            watched.spare, watched.spare_fd = self._spawn_spare(watched.service)
            changed = True
        return changed

    def _spawn_spare(self, service: Service) -> tuple[subprocess.Popen[bytes], int]:
        log_file = self.cfg.log_file(service.name)
        log_file.parent.mkdir(parents=True, exist_ok=True)
        warm_r, warm_w = os.pipe()
        os.set_blocking(warm_r, False)
        try:
            with log_file.open("ab") as out:
                spare = subprocess.Popen(
                    [sys.executable, "-m", standby.__name__, "-m", service.module,
                     *service.args],
                    stdin=subprocess.PIPE,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **service.env, standby.WARM_FD: str(warm_w)},
                    start_new_session=True,
                    pass_fds=(warm_w,),
                )
        finally:
            os.close(warm_w)
        return spare, warm_r

    def _forget_spare_fd(self, watched: _Watched, keep_warm: bool = False) -> None:
        if watched.spare_fd is not None:
            os.close(watched.spare_fd)
        watched.spare_fd = None
        watched.spare_warm = watched.spare_warm and keep_warm

    def _drop_spare(self, watched: _Watched) -> None:
        spare, watched.spare, watched.spare_at = watched.spare, None, None
        self._forget_spare_fd(watched)
        if spare is not None and spare.poll() is None:
            spare.kill()  # it holds nothing: no port, no connection
            spare.wait(timeout=5)

    def _publish(self) -> None:
        states = {}
        for watched in self._watched:
            if watched.crash_loop:
                current = state.Supervised(state.CRASH_LOOP, None, watched.restarts,
                                           watched.crash_loop)
            elif watched.pid is None:
                current = state.Supervised(state.RESTARTING, None, watched.restarts,
                                           f"last {watched.last_exit}")
            else:
                details = [f"last {watched.last_exit}"] if watched.last_exit else []
                if watched.spare is not None:
                    details.append(state.STANDBY_WARM if watched.spare_warm else
                                   "standby warming up")
                current = state.Supervised(state.RUNNING, watched.pid, watched.restarts,
                                           "; ".join(details))
            states[watched.service.name] = current
        state.write(self.cfg, states)

    def _on_term(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        self._retry = True


def _release(spare: subprocess.Popen[bytes]) -> bool:
    """Tells a live standby to take over; False when it is gone."""
    if spare.poll() is not None or spare.stdin is None:
        return False
    try:
        spare.stdin.write(standby.GO)
        spare.stdin.close()
    except (BrokenPipeError, OSError):
        return False
    return True
