"""Reads the contacts YAML (`HW_NOTIFY_CONTACTS`) and reports every error as file:line: reason,
like the registry import: a refused file changes nothing (the service keeps what it had, or
does not start).

```yaml
offices:
  - office: township            # township | county | city | an authority of routing.yaml
    division: "330106001"       # 9 digits for a township, 6 for a county/authority, 4 for a city
    name: 西溪街道安全办
    contacts:                   # told of every alarm at once
      - {name: 值班群, channel: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."}
    escalation:                 # reminder round N adds the N-th
      - {name: 王科长, channel: sms, phone: "13800000000"}
```
Error messages name the field, never its value: a secret in a bad line stays out of the logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from alerts.notify.contacts import AUTHORITY_DIGITS, OFFICE_DIGITS, ContactsFile, Office
from alerts.routing import RoutingTable


@dataclass(frozen=True)
class ContactsError:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class ContactsFileInvalid(Exception):
    def __init__(self, errors: list[ContactsError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def load(path: str | Path, table: RoutingTable) -> ContactsFile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ContactsFileInvalid([ContactsError(str(path), 1, f"cannot read: {exc}")]) from exc
    return parse(text, table, str(path))


def parse(text: str, table: RoutingTable, file: str = "<contacts>") -> ContactsFile:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ContactsFileInvalid([ContactsError(file, line, "not valid YAML")]) from exc
    if root is None:
        return ContactsFile()
    try:
        parsed = ContactsFile.model_validate(data)
    except ValidationError as exc:
        errors = [
            ContactsError(file, _locate(root, tuple(err["loc"])), _reason(err))
            for err in exc.errors(include_input=False)
        ]
        raise ContactsFileInvalid(sorted(errors, key=lambda e: e.line)) from exc
    errors = [ContactsError(file, _locate(root, loc), why) for loc, why in _cross(parsed, table)]
    if errors:
        raise ContactsFileInvalid(errors)
    return parsed


def _reason(err: object) -> str:
    detail = dict(err)  # type: ignore[call-overload]
    where = ".".join(str(p) for p in detail["loc"]) or "offices"
    return f"{where}: {detail['msg']}"


def _cross(parsed: ContactsFile, table: RoutingTable) -> list[tuple[tuple[str | int, ...], str]]:
    """What one office alone cannot tell: its office name, prefix length, duplicates."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    seen: set[tuple[str, str]] = set()
    for i, office in enumerate(parsed.offices):
        at: tuple[str | int, ...] = ("offices", i)
        digits = _digits(office, table)
        if digits is None:
            known = ", ".join(sorted({*OFFICE_DIGITS, *table.authorities}))
            problems.append(((*at, "office"), f"unknown office {office.office!r} ({known})"))
        elif len(office.division) != digits:
            problems.append(
                ((*at, "division"), f"a {office.office} office has a {digits}-digit division")
            )
        if office.key() in seen:
            problems.append((at, f"office {office.office} {office.division} is listed twice"))
        seen.add(office.key())
        names: set[str] = set()
        for part in ("contacts", "escalation"):
            for j, contact in enumerate(getattr(office, part)):
                if contact.name in names:
                    problems.append(((*at, part, j, "name"), f"contact {contact.name!r} twice"))
                names.add(contact.name)
    return problems


def _digits(office: Office, table: RoutingTable) -> int | None:
    if office.office in OFFICE_DIGITS:
        return OFFICE_DIGITS[office.office]
    return AUTHORITY_DIGITS if office.office in table.authorities else None


def _locate(node: yaml.Node, loc: tuple[str | int, ...]) -> int:
    """The line of the deepest node `loc` still reaches (a scalar's key line reads best)."""
    line = int(node.start_mark.line) + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = value if isinstance(value, yaml.CollectionNode) else key
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node, line = child, int(child.start_mark.line) + 1
    return line
