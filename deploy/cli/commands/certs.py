"""`./run certs issue ID... [--days N]`, `./run certs revoke ID...`, `./run certs list`: client
certificates of the stack's CA whose CN is a device's or a field gateway's id (docs/security.md).

`issue` also tells the broker what that identity may publish, from the registry: a device its
own topics, a field gateway its batch topic; `./run registry import` recomputes that for the
devices and gateways it changed, `sync` for every identity (after a registry changed otherwise);
`revoke` puts every certificate of the id on the CRL the broker enforces and takes its topics
away.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import psycopg

from deploy.cli.errors import CliError
from deploy.stack import certs, mosquitto
from deploy.stack.config import StackConfig
from deploy.stack.errors import StackError
from deploy.stack.identities import sync
from schemas.registry import Registry
from schemas.settings import Endpoints
from storage.datastore import Datastore
from storage.registry import RegistryRepository


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "certs",
        help="issue, revoke and list device and gateway client certificates",
        description="Client certificates for MQTT over TLS (the certificate listener, "
        "HW_MQTT_CERT_PORT): the CN is the device or field gateway id of the registry.",
    )
    sub = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    issue = sub.add_parser("issue", help="issue a client certificate per id")
    issue.add_argument("ids", nargs="+", metavar="ID", help="device or field gateway id")
    issue.add_argument("--days", type=_days, default=certs.CLIENT_DAYS,
                       help=f"validity (default {certs.CLIENT_DAYS})")
    issue.set_defaults(handler=_issue)
    revoke = sub.add_parser("revoke", help="revoke every certificate of each id (CRL)")
    revoke.add_argument("ids", nargs="+", metavar="ID")
    revoke.set_defaults(handler=_revoke)
    listing = sub.add_parser("list", help="every certificate issued, with its state")
    listing.set_defaults(handler=_list)
    sync = sub.add_parser(
        "sync", help="recompute what each certificate may publish from the registry as it is now"
    )
    sync.set_defaults(handler=_sync)


def _days(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _registry() -> Registry:
    try:
        store = Datastore(Endpoints().database_url.get_secret_value(), max_size=1)
        try:
            return RegistryRepository(store).load()
        finally:
            store.close()
    except psycopg.Error as exc:
        raise CliError(f"cannot read the registry (is the stack up?): {exc}") from exc


def _issue(args: argparse.Namespace) -> int:
    cfg = StackConfig.from_env()
    registry = _registry()
    topics = {identity: certs.allowed_topics(registry, identity) for identity in args.ids}
    unknown = [identity for identity, allowed in topics.items() if not allowed]
    if unknown:
        raise CliError(f"not a device or field gateway of the registry: {', '.join(unknown)}")
    authority = certs.Authority(cfg.tls)
    try:
        authority.ensure(cfg.tls_hostnames)
        files = {identity: authority.issue(identity, args.days) for identity in args.ids}
        mosquitto.upsert_identities(cfg, topics)
    except StackError as exc:
        raise CliError(str(exc)) from exc
    for identity, f in files.items():
        print(f"{identity}: cert {f.cert}  key {f.key}  (may publish {' '.join(topics[identity])})")
    print(f"CA {authority.ca_cert}; broker port {cfg.mqtt_cert_port} (client certificate only)")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    cfg = StackConfig.from_env()
    authority = certs.Authority(cfg.tls)
    try:
        revoked = {identity: authority.revoke(identity) for identity in args.ids}
        mosquitto.remove_identities(cfg, args.ids)
        mosquitto.reload(cfg)  # the CRL, also when no identity changed
    except StackError as exc:
        raise CliError(str(exc)) from exc
    for identity, rows in revoked.items():
        print(f"{identity}: {len(rows)} certificate(s) revoked" if rows
              else f"{identity}: nothing to revoke")
    return 0 if all(revoked.values()) else 1


def _sync(_args: argparse.Namespace) -> int:
    cfg = StackConfig.from_env()
    try:
        changed, silenced = sync(cfg, _registry())
    except StackError as exc:
        raise CliError(str(exc)) from exc
    print(f"certs: changed {' '.join(changed) or 'none'}; "
          f"may publish nothing {' '.join(silenced) or 'none'}")
    return 0


def _list(_args: argparse.Namespace) -> int:
    cfg = StackConfig.from_env()
    rows = certs.Authority(cfg.tls).listing()
    allowed = mosquitto.identities(cfg)
    now = datetime.now(UTC)
    print(f"{'id':<24} {'serial':<12} {'valid until':<20} {'state':<8} may publish")
    for row in sorted(rows, key=lambda r: (r.id, r.not_after)):
        until = datetime.fromisoformat(row.not_after)
        state = "revoked" if row.revoked_at else ("expired" if until <= now else "valid")
        serial = f"{row.serial:x}"[:10]
        topics = " ".join(allowed.get(row.id, [])) if state == "valid" else ""
        print(f"{row.id:<24} {serial:<12} {until:%Y-%m-%d %H:%M}Z    {state:<8} {topics or '-'}")
    return 0
