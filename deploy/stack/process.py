"""Background processes owned by the stack: started detached, tracked by pid file, stopped by pid.

`down` must stop only what `up` started, so every process we start gets a pid file, and a pid
file is trusted only while that pid is alive and still runs the expected program.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from deploy.stack.errors import PortInUse, StackError


def read_pid(pid_file: Path, expect: str = "") -> int | None:
    """The live pid recorded in `pid_file`, or None when the process is gone or is not ours."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None
    if state == "Z" or (expect and expect not in cmdline):
        return None
    return pid


def start(
    argv: Sequence[str],
    *,
    pid_file: Path,
    log_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> int:
    """Start `argv` in its own session (it outlives `./run`), output appended to `log_file`."""
    return spawn(argv, pid_file=pid_file, log_file=log_file, env=env, cwd=cwd, user=user).pid


def spawn(
    argv: Sequence[str],
    *,
    pid_file: Path,
    log_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> subprocess.Popen[bytes]:
    """As `start`, keeping the handle: a supervisor learns of the exit at once (`poll`)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            user=user,
        )
    pid_file.write_text(f"{proc.pid}\n")
    return proc


def stop(pid_file: Path, expect: str = "", timeout: float = 20.0) -> bool:
    """SIGTERM, then SIGKILL after `timeout`. Returns whether a process was running."""
    pid = read_pid(pid_file, expect)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not wait_until(lambda: read_pid(pid_file, expect) is None, timeout, interval=0.1):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: read_pid(pid_file, expect) is None, 5.0, interval=0.1)
    pid_file.unlink(missing_ok=True)
    return True


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return True
        except Exception:
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def port_bindable(port: int, host: str = "127.0.0.1") -> bool:
    """Nobody holds `port` at all (stricter than `port_open`: a bound socket that does not
    listen yet counts too), for picking ports a whole stack will take."""
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def require_port_free(service: str, port: int, timeout: float = 5.0) -> None:
    """Raise PortInUse unless `port` is free. A process of ours that just died (kill -9) may
    still hold its listening socket for a moment while the kernel tears it down, so a port
    that is about to be released gets `timeout` seconds; a foreign listener stays and is an
    error."""
    if not wait_until(lambda: not port_open(port), timeout, interval=0.2):
        raise PortInUse(service, port)


def log_tail(log_file: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def require_healthy(name: str, check: Callable[[], bool], timeout: float, log_file: Path) -> None:
    if not wait_until(check, timeout):
        raise StackError(
            f"{name} did not become healthy within {timeout:.0f} s; log {log_file}:\n"
            f"{log_tail(log_file)}"
        )
