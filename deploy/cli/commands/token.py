"""`./run token --role ROLE --scope SCOPE [--families f1,f2]`: a signed bearer token."""

from __future__ import annotations

import argparse
import time

from pydantic import ValidationError

from alerts.auth.scope import Scope
from alerts.auth.tokens import Claims, issue
from alerts.errors import Unauthorized
from deploy.cli.errors import CliError
from deploy.stack.config import StackConfig
from schemas.families import Family


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "token",
        help="print a signed bearer token for the HTTP API",
        description="Roles and scopes: enterprise (enterprise id), monitor (9-digit township "
        "code), regulator (division prefix of at most 6 digits, optional --families), admin.",
    )
    parser.add_argument(
        "--role", required=True, choices=["enterprise", "monitor", "regulator", "admin"]
    )
    parser.add_argument("--scope", default="", help="enterprise id or division prefix")
    parser.add_argument("--families", default="", help="comma-separated: gas,shutoff,elevator,fire")
    parser.add_argument("--subject", default=None, help="who the token names (default: role:scope)")
    parser.add_argument("--ttl-hours", type=float, default=24.0, help="validity (default 24)")
    parser.set_defaults(handler=_token)


def _token(args: argparse.Namespace) -> int:
    try:
        families = tuple(Family(f) for f in args.families.split(",") if f)
    except ValueError as exc:
        raise CliError(f"--families: {exc}", exit_code=2) from exc
    try:
        claims = Claims(
            sub=args.subject or f"{args.role}:{args.scope or '*'}",
            role=args.role,
            scope=args.scope,
            families=families,
            exp=int(time.time() + args.ttl_hours * 3600),
        )
        Scope.of(claims)
    except (ValidationError, Unauthorized) as exc:
        raise CliError(f"--scope: {exc}", exit_code=2) from exc
    print(issue(StackConfig.from_env().env()["HW_API_TOKEN_SECRET"], claims))
    return 0
