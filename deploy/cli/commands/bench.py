"""`./run bench [NAME]`: run the benchmarks in bench/, write JSON, print a table."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import pkgutil

import bench
from bench import harness
from deploy.cli.errors import CliError
from deploy.stack import stack
from deploy.stack.config import StackConfig


def _available() -> list[str]:
    return sorted(
        m.name
        for m in pkgutil.iter_modules(bench.__path__)
        if m.ispkg and importlib.util.find_spec(f"bench.{m.name}.run") is not None
    )


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "bench",
        help="run benchmarks, write bench/results/NAME.json and print a table",
        description=f"Benchmarks: {', '.join(_available()) or 'none yet'}. Without NAME: all.",
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run")
    parser.set_defaults(handler=_bench)


def _bench(args: argparse.Namespace) -> int:
    available = _available()
    unknown = sorted(set(args.names) - set(available))
    if unknown:
        raise CliError(
            f"unknown benchmark {', '.join(unknown)}; available: {', '.join(available) or 'none'}",
            exit_code=2,
        )
    cfg = StackConfig.from_env()
    stack.up(cfg, echo=lambda _line: None)
    for name in args.names or available:
        module = importlib.import_module(f"bench.{name}.run")
        print(f"== bench {name}", flush=True)
        # The stack's endpoints, plus the caller's HW_BENCH_* knobs (sizes of the cases).
        knobs = {k: v for k, v in os.environ.items() if k.startswith("HW_BENCH_")}
        rows = module.run({**knobs, **cfg.env()})
        # HW_BENCH_TAG keeps a sized run apart: bench/results/streams-100k.json, say.
        tag = os.environ.get("HW_BENCH_TAG")
        path = harness.write(f"{name}-{tag}" if tag else name, rows)
        print(harness.table(rows))
        print(f"-> {path}")
    return 0
