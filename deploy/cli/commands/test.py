"""`./run test`: lint, type-check and the whole suite (unit, integration, e2e) on real services."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from deploy.stack import packages, stack
from deploy.stack.config import REPO_ROOT, StackConfig

# pytest: 0 passed, 5 collected nothing. Nothing collected is a failure here: CI must never
# report green for a suite that did not run.
_PYTEST_NO_TESTS = 5


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "test",
        help="set up and run ruff, mypy and the whole test suite on real services",
        description="Starts the stack when needed, then runs ruff, mypy and pytest (unit, "
        "integration, e2e). Extra arguments after -- go to pytest.",
    )
    parser.add_argument("--no-lint", action="store_true", help="skip ruff and mypy")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="-- then pytest arguments")
    parser.set_defaults(handler=_test)


def _run(title: str, argv: list[str], env: dict[str, str]) -> int:
    print(f"== {title}: {' '.join(argv[1:] if argv[0] == sys.executable else argv)}", flush=True)
    began = time.monotonic()
    code = subprocess.run(argv, cwd=REPO_ROOT, env=env, check=False).returncode
    print(f"== {title}: exit {code} in {time.monotonic() - began:.0f} s", flush=True)
    return code


def _workers(extra: list[str]) -> list[str]:
    """pytest-xdist workers, each taking a group of tests at a time (tests/conftest.py: a file,
    or every test with a gateway on the shared broker).

    Most of the suite waits on real services (group joins, deadlines, processes starting), so two
    workers nearly halve the wall time even on two cores; every test already has its own topics,
    database, broker users and ports. HW_TEST_WORKERS=1 runs in one process; `-n` after -- wins.
    """
    if any(a == "-n" or a.startswith(("-n=", "--numprocesses")) for a in extra):
        return []
    workers = int(os.environ.get("HW_TEST_WORKERS", "2"))
    return ["-n", str(workers), "--dist", "loadgroup"] if workers > 1 else []


def _test(args: argparse.Namespace) -> int:
    cfg = StackConfig.from_env()
    began = time.monotonic()
    print("== stack up", flush=True)
    stack.up(cfg)
    packages.ensure(["chromium", "cjk-font"])
    env = {**os.environ, **cfg.env(), "HW_EXTERNAL_STACK": "1", "PYTHONUNBUFFERED": "1"}
    bin_dir = os.path.dirname(sys.executable)
    failures = []
    if not args.no_lint:
        if _run("ruff", [os.path.join(bin_dir, "ruff"), "check", "."], env):
            failures.append("ruff")
        if _run("mypy", [os.path.join(bin_dir, "mypy"), "."], env):
            failures.append("mypy")
    extra = [a for a in args.pytest_args if a != "--"]
    # Paths after -- narrow the run; without any, the whole suite runs.
    chosen = [] if any(os.path.exists(a.split("::")[0]) for a in extra) else ["tests"]
    code = _run("pytest", [sys.executable, "-m", "pytest", *chosen, *_workers(extra), *extra], env)
    if code:
        failures.append("pytest (no tests collected)" if code == _PYTEST_NO_TESTS else "pytest")
    elapsed = time.monotonic() - began
    if failures:
        print(f"== FAILED: {', '.join(failures)} ({elapsed:.0f} s)", flush=True)
        return 1
    print(f"== all passed ({elapsed:.0f} s)", flush=True)
    return 0
