"""`./run registry import FILE` and `./run registry history`: the registry, the broker's
credentials and the audit of every change."""

from __future__ import annotations

import argparse
import os
import pwd
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy.cli.errors import CliError
from deploy.cli.registry_output import history_line, plan_lines
from deploy.stack import identities, mosquitto
from deploy.stack.config import StackConfig
from schemas.registry import Registry
from schemas.registry_file import RegistryFileInvalid, parse
from schemas.settings import Endpoints
from storage import registry_audit
from storage.datastore import Datastore
from storage.migrations import migrate
from storage.registry import RegistryRepository
from storage.registry_changes import ForeignDevicesListed, OpenAlarmsBlockRemoval

IMPORT_HELP = """\
Validates the whole file first: any error refuses the import, lists every error as
file:line: reason and changes nothing.

A file speaks for the enterprises it names, and only for them: those enterprises and their
devices are made equal to the file (devices of theirs that it no longer lists are REMOVED),
while devices of enterprises the file does not name are left untouched. A device listed under
an enterprise the file names but stored under one it does not is refused; to move a device
between enterprises, name both. Enterprises are never removed.

Every change is printed per enterprise (added, changed, removed, with ids) and recorded in
the audit (`./run registry history`) with the actor. An enterprise may also change its own
devices one at a time through the API (PUT/DELETE /api/v1/devices/{id}), which goes through
this same import, and download its part as a file this command accepts unchanged
(GET /api/v1/registry.yaml).

Removing a device that has an open alarm is refused, naming the alarms, unless --force.
--dry-run prints the same changes and changes nothing: not the database, not the broker's
credentials. Re-importing the same file is a no-op (the registry version stays).
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "registry", help="manage the registry of enterprises/devices and read its audit"
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    load = actions.add_parser(
        "import",
        help="load a registry YAML file (DESIGN section 11) for the enterprises it names",
        description=IMPORT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load.add_argument("file", type=Path, help="registry YAML")
    load.add_argument("--dry-run", action="store_true", help="print the changes, change nothing")
    load.add_argument(
        "--force", action="store_true", help="remove devices even when they have open alarms"
    )
    load.add_argument("--actor", help="who to record in the audit (default: cli:<unix user>)")
    load.set_defaults(handler=_import)
    history = actions.add_parser(
        "history",
        help="the audit of registry changes, newest first, one line per change",
        description="Every change to enterprises and devices, by a file import or the "
        "self-service API (PUT/DELETE /api/v1/devices/{id}): when, registry version, actor "
        "(cli:<user>, token:<role>:<subject> or account:<username>), action and what changed. "
        "--enterprise also lists devices that moved away from the enterprise.",
    )
    history.add_argument("--enterprise", metavar="ID", help="only this enterprise's changes")
    history.add_argument("--device", metavar="ID", help="only this device's changes")
    history.add_argument("--limit", type=_positive, default=50, metavar="N", help="default 50")
    history.set_defaults(handler=_history)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def default_actor() -> str:
    return f"cli:{pwd.getpwuid(os.getuid()).pw_name}"


@contextmanager
def _repository() -> Iterator[RegistryRepository]:
    store = Datastore(Endpoints().database_url.get_secret_value(), max_size=1)
    try:
        migrate(store)
        yield RegistryRepository(store)
    finally:
        store.close()


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
    import_file(args.file, dry_run=args.dry_run, force=args.force, actor=args.actor)
    return 0


def _read(path: Path) -> Registry:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return parse(text, str(path))
    except RegistryFileInvalid as exc:
        for error in exc.errors:
            print(error)
        raise CliError(f"import refused: {len(exc.errors)} error(s); nothing was changed") from exc


def import_file(
    path: Path, *, dry_run: bool = False, force: bool = False, actor: str | None = None
) -> None:
    """Validate and import `path`; prints the changes, raises CliError when refused."""
    registry = _read(path)
    with _repository() as repository:
        stored = repository.password_hashes()
        hashes, generated = _passwords(registry, stored)
        if dry_run:
            _dry_run(repository, registry, hashes, generated)
            return
        try:
            summary = repository.import_registry(
                registry, hashes, actor=actor or default_actor(), force=force
            )
        except ForeignDevicesListed as exc:
            raise CliError(f"import refused: {exc}; nothing was changed") from exc
        except OpenAlarmsBlockRemoval as exc:
            for alarm in exc.alarms:
                print(f"  {alarm.device_id}: open alarm {alarm}")
            alarms = ", ".join(a.alarm_id for a in exc.alarms)
            raise CliError(
                f"import refused: devices to remove have open alarms ({alarms}); --force "
                "removes them anyway; nothing was changed"
            ) from exc
        # The whole registry, not the file's part: a gateway may serve other enterprises too.
        touched = identities.touched_identities(summary.plan)
        after = repository.load() if touched else None
    cfg = StackConfig.from_env()
    all_hashes = {**stored, **hashes}
    mosquitto.upsert_credentials(cfg, {e.id: all_hashes[e.id] for e in registry.enterprises})
    # Certificate identities follow at once: a device moved to another field gateway, or
    # removed, must not keep publishing on what the registry no longer gives it.
    changed, silenced = (
        identities.sync(cfg, after, only=touched) if after is not None else ([], [])
    )
    for line in plan_lines(summary.plan, registry):
        print(line)
    if changed or silenced:
        print(f"certificates: may publish anew {' '.join(changed) or 'none'}; "
              f"may publish nothing {' '.join(silenced) or 'none'}")
    for enterprise_id, password in generated.items():
        print(f"generated MQTT password for {enterprise_id}: {password}  (shown once)")
    print(
        f"registry: {len(registry.enterprises)} enterprises, {len(registry.devices)} devices in "
        f"the file; added {summary.count('enterprise', 'added')}/"
        f"{summary.count('device', 'added')}, changed {summary.count('enterprise', 'changed')}/"
        f"{summary.count('device', 'changed')}, removed devices "
        f"{summary.count('device', 'removed')}; version {summary.version}"
        + ("" if summary.changed else " (nothing changed)")
    )


def _dry_run(
    repository: RegistryRepository,
    registry: Registry,
    hashes: dict[str, str],
    generated: dict[str, str],
) -> None:
    found = repository.plan_import(registry, hashes)
    print(f"dry run of {len(registry.enterprises)} enterprises: nothing is changed")
    for line in plan_lines(found, registry):
        print(line)
    for enterprise_id in generated:
        print(f"an MQTT password would be generated for {enterprise_id}")
    if found.foreign:
        print(f"would be refused: {ForeignDevicesListed(found.foreign)}")
    elif found.open_alarms:
        print("would be refused without --force: devices to remove have open alarms")
    print(f"{len(found.changes)} change(s); registry version {repository.version()} stays")


def _history(args: argparse.Namespace) -> int:
    with _repository() as repository:
        entries = registry_audit.history(
            repository.datastore, enterprise=args.enterprise, device=args.device, limit=args.limit
        )
    if not entries:
        print("no registry changes recorded")
    for entry in entries:
        print(history_line(entry))
    return 0

