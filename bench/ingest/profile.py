"""Sampling profiles of the gateway processes during a case (`HW_BENCH_INGEST_PROFILE=DIR`).

py-spy (not a project dependency: `.venv/bin/pip install py-spy`) samples every thread of the
process from outside, so the profile costs the gateway nothing. The summary says where a
reading's time goes: the share of samples per frame, self and inclusive.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path


def _py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextlib.contextmanager
def sampled(pids: list[int], out_dir: Path | None, name: str) -> Iterator[list[Path]]:
    """Records each pid into `out_dir/<name>-<pid>.txt` (collapsed stacks) while in the block."""
    binary = _py_spy()
    if out_dir is None or binary is None:
        yield []
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [out_dir / f"{name.replace(' ', '_').replace(',', '')}-{pid}.txt" for pid in pids]
    procs = [
        subprocess.Popen(
            [
                binary,
                "record",
                "--pid",
                str(pid),
                "--rate",
                "250",
                "--format",
                "raw",
                "--nonblocking",
                "--threads",
                "--output",
                str(path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid, path in zip(pids, files, strict=True)
    ]
    try:
        yield files
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)


def summary(path: Path, top: int = 25) -> str:
    """Self and inclusive share of the samples, per frame, busy (non-idle) samples only."""
    self_counts: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";")[1:]]  # the first is the thread
        if not frames or _idle(frames[-1]):
            continue
        total += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"{path.name}: {total} busy samples"]
    lines.append("  self%  incl%  frame")

    def row(frame: str) -> str:
        own, whole = 100 * self_counts[frame] / total, 100 * inclusive[frame] / total
        return f"  {own:5.1f}  {whole:5.1f}  {frame}"

    lines.extend(row(frame) for frame, _ in inclusive.most_common(top))
    lines.append("  -- top self --")
    lines.extend(row(frame) for frame, _ in self_counts.most_common(top))
    return "\n".join(lines)


def _short(frame: str) -> str:
    # "func (path/to/module.py:123)" -> "func (module.py)"
    name, _, where = frame.partition(" (")
    file = where.rsplit(":", 1)[0].rsplit("/", 1)[-1]
    return f"{name} ({file})"


def _idle(frame: str) -> bool:
    # Blocking waits py-spy does not always see as idle (a thread parked in select or on a lock).
    return frame.split(" ", 1)[0] in _WAITS


_WAITS = {
    "select",
    "poll",
    "wait",
    "_wait_for_tstate_lock",
    "epoll",
    "Condition.wait",
    "Connection.wait",
    "EpollSelector.select",
    "_PollLikeSelector.select",
    "Event.wait",
}


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(summary(Path(arg)))
