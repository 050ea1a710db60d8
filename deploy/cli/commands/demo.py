"""`./run demo`: sets everything up and runs hazardwatch on a simulated county."""

from __future__ import annotations

import argparse
import os

from deploy import services
from deploy.cli.commands.up import bring_up
from deploy.demo import script
from deploy.stack import stack
from deploy.stack.config import StackConfig


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "demo",
        help="set up, start everything and run a simulated county end to end",
        description="First run installs what is missing. Leaves the stack running unless --stop.",
    )
    parser.add_argument(
        "--seconds",
        type=int,
        default=75,
        help="how long the simulated county runs (default 75; at least 60 shows every incident)",
    )
    parser.add_argument("--stop", action="store_true", help="stop everything at the end")
    parser.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    # Every alarm of the demo is also notified on the log channel (no robot is configured).
    os.environ.setdefault("HW_NOTIFY_LOG", "true")
    cfg = StackConfig.from_env()
    bring_up(cfg)
    script.run(cfg, args.seconds)
    print(f"\nLogs: {cfg.logs}/   Status: ./run status   Environment: ./run stack env")
    if args.stop:
        services.down(cfg)
        stack.down(cfg)
    return 0
