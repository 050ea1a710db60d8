"""`./run stack up|down|status|env`: the infrastructure only (DESIGN section 9)."""

from __future__ import annotations

import argparse
import shlex

from deploy.stack import stack
from deploy.stack.config import StackConfig

_SERVICE_NAMES = [s.name for s in stack.SERVICES]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "stack",
        help="infrastructure only: Mosquitto, Kafka, PostgreSQL, Prometheus",
        description="Start, stop and inspect the local stack (data under .stack/).",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    for name, handler, text in (
        ("up", _up, "start what is not running and wait until every service answers"),
        ("down", _down, "stop the processes the stack started (data is kept)"),
        ("status", _status, "pid, port and health of each service"),
        ("env", _env, "print HW_* lines a shell can eval"),
    ):
        action = actions.add_parser(name, help=text, description=text)
        if name in ("up", "down"):
            action.add_argument(
                "services",
                nargs="*",
                choices=[[], *_SERVICE_NAMES],
                metavar="SERVICE",
                help=f"any of {', '.join(_SERVICE_NAMES)}",
            )
        action.set_defaults(handler=handler)


def _up(args: argparse.Namespace) -> int:
    cfg = StackConfig.from_env()
    print(f"stack: starting in {cfg.root}")
    stack.up(cfg, args.services)
    print(f"stack: up; logs in {cfg.logs}/, environment: ./run stack env")
    return 0


def _down(args: argparse.Namespace) -> int:
    cfg = StackConfig.from_env()
    stack.down(cfg, args.services)
    return 0


def _status(args: argparse.Namespace) -> int:
    cfg = StackConfig.from_env()
    rows = stack.status(cfg)
    print(f"{'SERVICE':<11} {'PID':>7}  {'PORT':<6} {'HEALTH':<8} DETAIL")
    for row in rows:
        print(
            f"{row.name:<11} {row.pid or '-':>7}  {row.port:<6} "
            f"{'up' if row.healthy else 'down':<8} {row.detail}"
        )
    return 0 if all(r.healthy for r in rows) else 1


def _env(args: argparse.Namespace) -> int:
    for key, value in StackConfig.from_env().env().items():
        print(f"{key}={shlex.quote(value)}")
    return 0
