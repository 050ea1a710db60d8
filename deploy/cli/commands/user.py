"""`./run user add|list|disable|enable|passwd`: console accounts for people (DESIGN section 13)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from alerts.accounts.accounts import ROLES, InvalidAccount, change_password, new_account
from alerts.accounts.passwords import MIN_LENGTH, WeakPassword
from deploy.cli.errors import CliError
from schemas.settings import Endpoints
from storage.accounts import AccountExists, AccountRepository, UnknownAccount
from storage.datastore import Datastore
from storage.migrations import migrate


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "user",
        help="console accounts for people: add, list, disable, enable, passwd",
        description="Accounts for the web console. Roles and scopes are those of `./run token`: "
        "enterprise (enterprise id), monitor (9-digit township code), regulator (division "
        "prefix of at most 6 digits, optional --families), admin (no scope). The password is "
        f"read from standard input when it is not a terminal, else asked twice; at least "
        f"{MIN_LENGTH} characters.",
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", required=True, help=" | ".join(ROLES))
    add.add_argument("--scope", default="", help="enterprise id or division prefix")
    add.add_argument("--families", default="", help="regulators only: gas,shutoff,elevator,fire")
    add.add_argument("--name", default="", help="display name (default: the username)")
    add.set_defaults(handler=_add)
    listing = actions.add_parser("list", help="list the accounts")
    listing.set_defaults(handler=_list)
    for name, helptext in (("disable", "disable an account and end its sessions"),
                           ("enable", "enable a disabled account")):
        action = actions.add_parser(name, help=helptext)
        action.add_argument("username")
        action.set_defaults(handler=_enable if name == "enable" else _disable)
    passwd = actions.add_parser("passwd", help="set a new password (ends the account's sessions)")
    passwd.add_argument("username")
    passwd.set_defaults(handler=_passwd)


@contextmanager
def _repository() -> Iterator[AccountRepository]:
    store = Datastore(Endpoints().database_url.get_secret_value(), max_size=1)
    try:
        migrate(store)
        yield AccountRepository(store)
    finally:
        store.close()


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise CliError("the two passwords differ; nothing was changed")
    return first


def _add(args: argparse.Namespace) -> int:
    families = tuple(f for f in args.families.split(",") if f)
    # The rules are checked before a password is asked for: a typo costs nothing.
    try:
        new_account(args.username, args.role, args.scope, families, args.name, "x" * MIN_LENGTH)
        row = new_account(args.username, args.role, args.scope, families, args.name, _password())
    except (InvalidAccount, WeakPassword) as exc:
        raise CliError(f"{exc}; nothing was changed", exit_code=2) from exc
    with _repository() as repository:
        try:
            repository.add(row)
        except AccountExists as exc:
            raise CliError(f"{exc}; nothing was changed") from exc
    print(f"account {row.username} added: {row.role} {row.scope or '*'}"
          + (f" families {','.join(row.families)}" if row.families else ""))
    return 0


def _list(_args: argparse.Namespace) -> int:
    with _repository() as repository:
        rows = repository.all()
    print(f"{'username':<24} {'role':<10} {'scope':<16} {'families':<20} {'state':<8} name")
    for row in rows:
        print(
            f"{row.username:<24} {row.role:<10} {row.scope or '*':<16} "
            f"{','.join(row.families) or '-':<20} {'enabled' if row.enabled else 'disabled':<8} "
            f"{row.display_name}"
        )
    return 0


def _set_enabled(username: str, enabled: bool) -> int:
    with _repository() as repository:
        try:
            repository.set_enabled(username, enabled)
        except UnknownAccount as exc:
            raise CliError(str(exc)) from exc
    print(f"account {username} {'enabled' if enabled else 'disabled (its sessions ended)'}")
    return 0


def _disable(args: argparse.Namespace) -> int:
    return _set_enabled(args.username, False)


def _enable(args: argparse.Namespace) -> int:
    return _set_enabled(args.username, True)


def _passwd(args: argparse.Namespace) -> int:
    with _repository() as repository:
        if repository.get(args.username) is None:
            raise CliError(f"no account named {args.username!r}")
        try:
            change_password(repository, args.username, _password())
        except (WeakPassword, UnknownAccount) as exc:
            raise CliError(f"{exc}; nothing was changed", exit_code=2) from exc
    print(f"password of {args.username} changed; its open sessions were ended")
    return 0
