"""`python -m deploy.supervisor.standby -m MODULE [ARGS...]`: a warm standby of `python -m
MODULE ARGS...`, kept by the supervisor beside the running process.

On a loaded 2-core host most of a restart is the import of the process's code (the alerts API:
2.4 s of CPU, 8-15 s of wall time at load 10; its own set-up after the imports is 0.3 s). The
standby pays that in advance: it imports MODULE's `__main__` (whose `if __name__` guard keeps
`main()` from running) and everything that imports, opens nothing (no port, no connection, no
consumer group), says "warm" on the pipe it was given (HW_STANDBY_WARM_FD) and waits on its
stdin. The supervisor writes "go" when the running process exits, and the standby runs MODULE
as `__main__` in place, as `python -m` would.

If a source file it loaded changed after it started (a deploy, an edit), it starts afresh with
exec (same pid) rather than run old code. EOF on stdin (the supervisor is gone) ends it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import runpy
import sys
import time
from pathlib import Path

GO = b"go\n"
WARM = b"warm\n"
WARM_FD = "HW_STANDBY_WARM_FD"
_ROOT = Path(__file__).resolve().parents[2]


def changed_since(started: float, modules: dict[str, object], root: Path = _ROOT) -> list[str]:
    """Files under `root` of loaded modules modified after `started` (time.time())."""
    out = []
    for module in list(modules.values()):
        path = getattr(module, "__file__", None)
        if not path or not str(path).startswith(str(root)):
            continue
        try:
            if os.stat(path).st_mtime > started:
                out.append(str(path))
        except OSError:
            out.append(str(path))
    return out


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "-m":
        print("usage: python -m deploy.supervisor.standby -m MODULE [ARGS...]", file=sys.stderr)
        return 2
    module, args = argv[1], argv[2:]
    started, began = time.time(), time.monotonic()
    importlib.import_module(f"{module}.__main__")
    warmed = time.monotonic() - began
    warm_fd = os.environ.pop(WARM_FD, "")
    if warm_fd:
        # A supervisor that released this standby before it was warm has stopped listening.
        with contextlib.suppress(OSError):
            os.write(int(warm_fd), WARM)
        os.close(int(warm_fd))
    word = sys.stdin.buffer.readline()
    if word != GO:
        return 0  # the supervisor stopped or is gone: nothing was opened, nothing to close
    stale = changed_since(started, dict(sys.modules))
    if stale:
        print(f"standby: taking over as {module} afresh ({stale[0]} changed since the warm-up)",
              flush=True)
        os.execv(sys.executable, [sys.executable, "-m", module, *args])
    print(f"standby: taking over as {module} (warmed up in {warmed:.1f} s)", flush=True)
    sys.argv = [module, *args]
    # Run afresh as __main__ (what it imports stays imported); the warm-up's copy goes first,
    # or runpy warns that the module is in sys.modules already.
    del sys.modules[f"{module}.__main__"]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
