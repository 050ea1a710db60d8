"""Reads a registry YAML file (DESIGN section 11) and reports every error with its line.

A refused import lists *all* problems at once (file, line, reason), so an operator fixes the
file in one pass; nothing is imported unless the whole file is valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from schemas.registry import DeviceRecord, EnterpriseRecord, Registry

_SECTIONS: dict[str, type[BaseModel]] = {"enterprises": EnterpriseRecord, "devices": DeviceRecord}


@dataclass(frozen=True)
class RegistryError:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class RegistryFileInvalid(Exception):
    def __init__(self, errors: list[RegistryError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _child(node: yaml.Node, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                # Scalars: the key's line reads best ("division: ..." is where to look).
                found: yaml.Node = v if isinstance(v, yaml.CollectionNode) else k
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        item: yaml.Node = node.value[key]
        return item
    return None


def _locate(node: yaml.Node, loc: tuple[int | str, ...]) -> int:
    """The line of the deepest node `loc` still reaches (the record's line at worst)."""
    line = _line(node)
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node, line = child, _line(child)
    return line


def parse(text: str, file: str = "<registry>") -> Registry:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise RegistryFileInvalid([RegistryError(file, line, f"not valid YAML: {exc}")]) from exc
    if root is None or not isinstance(data, dict):
        raise RegistryFileInvalid(
            [RegistryError(file, 1, "expected a mapping with enterprises: and devices:")]
        )
    errors: list[RegistryError] = []
    for key in data:
        if key not in _SECTIONS:
            node = _child(root, key)
            errors.append(RegistryError(file, _line(node) if node else 1, f"unknown key {key!r}"))
    records: dict[str, list[Any]] = {}
    for section, model in _SECTIONS.items():
        items = data.get(section) or []
        section_node = _child(root, section)
        if not isinstance(items, list) or (
            section_node is not None and not isinstance(section_node, yaml.SequenceNode)
        ):
            line = _line(section_node) if section_node else 1
            errors.append(RegistryError(file, line, f"{section} must be a list"))
            continue
        records[section] = []
        for i, item in enumerate(items):
            item_node = section_node.value[i] if section_node is not None else root
            try:
                records[section].append(model.model_validate(item))
            except ValidationError as exc:
                for err in exc.errors():
                    where = ".".join(str(p) for p in err["loc"]) or section
                    line = _locate(item_node, tuple(err["loc"]))
                    errors.append(RegistryError(file, line, f"{where}: {err['msg']}"))
    if errors:
        raise RegistryFileInvalid(sorted(errors, key=lambda e: e.line))
    registry = Registry(
        enterprises=tuple(records["enterprises"]), devices=tuple(records["devices"])
    )
    cross = [
        RegistryError(file, _line(_child(root, section).value[i]), reason)  # type: ignore[union-attr]
        for section, i, reason in registry.cross_errors()
    ]
    if cross:
        raise RegistryFileInvalid(cross)
    return registry
