"""`./run schemas export DIR`: JSON Schema of every device payload plus an AsyncAPI document."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from deploy.cli.errors import CliError
from schemas.jsonschema_export import asyncapi, payload_schemas


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("schemas", help="export the device contracts as JSON Schema")
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        help="write <family>.<channel>.schema.json per payload and asyncapi.json into DIR",
        description="JSON Schema (draft 2020-12) of every device payload and the field-gateway "
        "batch, and an AsyncAPI 3.0 document of the MQTT channels and Kafka topics that refers "
        "to them by relative path (keep the files together). tests/contracts checks them with "
        "the official AsyncAPI parser and ajv.",
    )
    export.add_argument("dir", type=Path, help="output directory (created if missing)")
    export.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    export(args.dir)
    return 0


def export(out: Path) -> None:
    """Write every payload schema and asyncapi.json into `out`; CliError when it cannot."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        docs = payload_schemas()
        for name, schema in docs.items():
            (out / f"{name}.schema.json").write_text(_dump(schema), encoding="utf-8")
        (out / "asyncapi.json").write_text(_dump(asyncapi()), encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write to {out}: {exc.strerror}") from exc
    print(f"wrote {len(docs)} payload schemas and asyncapi.json to {out}")


def _dump(doc: object) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
