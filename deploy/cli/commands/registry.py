"""`./run registry import FILE`: enterprises and devices into the registry and the broker."""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

from deploy.cli.errors import CliError
from deploy.stack import mosquitto
from deploy.stack.config import StackConfig
from schemas.registry import Registry
from schemas.registry_file import RegistryFileInvalid, parse
from schemas.settings import Endpoints
from storage.datastore import Datastore
from storage.migrations import migrate
from storage.registry import RegistryRepository


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("registry", help="manage the registry of enterprises/devices")
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    load = actions.add_parser(
        "import",
        help="load a registry YAML file (DESIGN section 11)",
        description="Validates the whole file first: any error refuses the import, lists every "
        "error as file:line: reason and changes nothing. Re-importing the same file is a no-op.",
    )
    load.add_argument("file", type=Path, help="registry YAML")
    load.set_defaults(handler=_import)


def _passwords(registry: Registry, stored: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(hashes to store, generated plain passwords to print once)."""
    hashes: dict[str, str] = {}
    generated: dict[str, str] = {}
    for ent in registry.enterprises:
        if ent.mqtt_password is not None:
            plain = ent.mqtt_password.get_secret_value()
            old = stored.get(ent.id)
            # A hash is salted: re-hashing the same password would look like a change.
            if old is None or not mosquitto.verify_password(plain, old):
                hashes[ent.id] = mosquitto.hash_password(plain)
        elif ent.id not in stored:
            generated[ent.id] = secrets.token_urlsafe(12)
            hashes[ent.id] = mosquitto.hash_password(generated[ent.id])
    return hashes, generated


def _import(args: argparse.Namespace) -> int:
    import_file(args.file)
    return 0


def import_file(path: Path) -> None:
    """Validate and import `path`; prints the outcome, raises CliError when refused."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        registry = parse(text, str(path))
    except RegistryFileInvalid as exc:
        for error in exc.errors:
            print(error)
        raise CliError(f"import refused: {len(exc.errors)} error(s); nothing was changed") from exc
    store = Datastore(Endpoints().database_url.get_secret_value())
    try:
        migrate(store)
        repository = RegistryRepository(store)
        stored = repository.password_hashes()
        hashes, generated = _passwords(registry, stored)
        summary = repository.replace_all(registry, hashes)
        all_hashes = {**stored, **hashes}
    finally:
        store.close()
    mosquitto.upsert_credentials(
        StackConfig.from_env(), {e.id: all_hashes[e.id] for e in registry.enterprises}
    )
    for enterprise_id, password in generated.items():
        print(f"generated MQTT password for {enterprise_id}: {password}  (shown once)")
    print(
        f"registry: {len(registry.enterprises)} enterprises, {len(registry.devices)} devices; "
        f"added {summary.enterprises_added}/{summary.devices_added}, changed "
        f"{summary.enterprises_changed}/{summary.devices_changed}, removed devices "
        f"{summary.devices_removed}; version {summary.version}"
        + ("" if summary.changed else " (nothing changed)")
    )
