"""`./run up|down|status`: the stack plus hazardwatch's own processes, in the background."""

from __future__ import annotations

import argparse

from deploy import services
from deploy.stack import stack
from deploy.stack.config import StackConfig


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    up = subparsers.add_parser(
        "up",
        help="start the stack and hazardwatch's processes; returns when all are ready",
        description="Idempotent: starts what is not running and waits for every /readyz. A "
        "supervisor keeps the processes running: it restarts one that exits (with backoff) "
        "and gives up on a crash loop, shown by ./run status.",
    )
    up.set_defaults(handler=_up)
    down = subparsers.add_parser(
        "down",
        help="stop hazardwatch's processes and the stack (data is kept)",
        description="Stops only the processes ./run started (by pid file); data is kept.",
    )
    down.add_argument("--keep-stack", action="store_true", help="stop only hazardwatch's processes")
    down.set_defaults(handler=_down)
    status = subparsers.add_parser(
        "status",
        help="pid, port and health of the stack and of every hazardwatch process",
        description="Exit status 0 when everything is healthy, 1 otherwise.",
    )
    status.set_defaults(handler=_status)


def bring_up(cfg: StackConfig) -> None:
    print("stack:")
    stack.up(cfg)
    print("services:")
    services.up(cfg)
    print(f'logs: {cfg.logs}/  environment: set -a; eval "$(./run stack env)"; set +a')


def _up(args: argparse.Namespace) -> int:
    bring_up(StackConfig.from_env())
    return 0


def _down(args: argparse.Namespace) -> int:
    cfg = StackConfig.from_env()
    services.down(cfg)
    if not args.keep_stack:
        stack.down(cfg)
    return 0


def _status(args: argparse.Namespace) -> int:
    cfg = StackConfig.from_env()
    healthy = True
    print(f"{'PROCESS':<11} {'PID':>7}  {'PORT':<6} {'HEALTH':<8} DETAIL")
    for row in stack.status(cfg):
        healthy &= row.healthy
        print(
            f"{row.name:<11} {row.pid or '-':>7}  {row.port:<6} "
            f"{'up' if row.healthy else 'down':<8} {row.detail}"
        )
    for proc in services.status(cfg):
        healthy &= proc.ready
        print(
            f"{proc.service.name:<11} {proc.pid or '-':>7}  {proc.service.port:<6} "
            f"{'ready' if proc.ready else 'down':<8} {proc.detail}".rstrip()
        )
    supervisor = services.supervisor_pid(cfg)
    if services.table(cfg):
        healthy &= supervisor is not None
        note = "restarts what exits" if supervisor else "not running: nothing restarts a crash"
        print(
            f"{services.SUPERVISOR:<11} {supervisor or '-':>7}  {cfg.supervisor_port:<6} "
            f"{'up' if supervisor else 'down':<8} {note}"
        )
    return 0 if healthy else 1
