"""How `./run registry` prints changes: per enterprise for an import, one line per audit row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC

from schemas.registry import Registry
from storage.registry_audit import AuditEntry
from storage.registry_changes import Change, ImportPlan


def _value(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v:g}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return f"{value:g}"
    return "-" if value is None else str(value)


def _fields(change: Change) -> str:
    """`location A -> B, thresholds - -> {level1: 15}`: what changed, before and after."""
    before, after = change.before or {}, change.after or {}
    names = change.fields()
    parts = [
        f"{name} {_value(before.get(name))} -> {_value(after.get(name))}"
        for name in names
        if name != "mqtt_password"
    ]
    if "mqtt_password" in names:
        parts.append("mqtt_password")  # that it changed; never a value, not even the hash
    return ", ".join(parts)


def change_line(change: Change) -> str:
    """`changed device GD-1 (location, thresholds)`, `removed device GD-3`, ..."""
    text = f"{change.action} {change.kind} {change.id}"
    fields = _fields(change)
    return f"{text} ({fields})" if fields else text


def plan_lines(found: ImportPlan, registry: Registry) -> Iterator[str]:
    """One heading per enterprise the file names, then its changes with ids."""
    grouped = found.by_enterprise()
    alarms: dict[str, list[str]] = {}
    for alarm in found.open_alarms:
        alarms.setdefault(alarm.device_id, []).append(str(alarm))
    moved_out: dict[str, list[Change]] = {}
    for change in found.changes:
        old = (change.before or {}).get("enterprise")
        if change.kind == "device" and change.after and old not in (None, change.enterprise_id):
            moved_out.setdefault(str(old), []).append(change)
    for ent in registry.enterprises:
        changes = grouped.get(ent.id, [])
        devices = [c for c in changes if c.kind == "device"]
        summary = ", ".join(
            f"{a} {sum(1 for c in devices if c.action == a)}"
            for a in ("added", "changed", "removed")
        )
        own = next((c for c in changes if c.kind == "enterprise"), None)
        heading = f"{ent.id} ({ent.name}): devices {summary}"
        if own is not None:
            heading += f"; enterprise {own.action}"
            heading += f" ({_fields(own)})" if own.action == "changed" else ""
        if not changes and ent.id not in moved_out:
            heading += " (no change)"
        yield heading
        for change in devices:
            line = f"  {change.action:<8} {change.id}"
            fields = _fields(change)
            if fields:
                line += f"  ({fields})"
            for text in alarms.get(change.id, []):
                line += f"  open alarm {text}"
            yield line
        for change in moved_out.get(ent.id, []):
            yield f"  moved to {change.enterprise_id}: {change.id}"
    for foreign in found.foreign:
        yield (
            f"  refused  {foreign.device_id}: stored under {foreign.owner}, which the file does "
            f"not name (listed under {foreign.claimed_by})"
        )


def history_line(entry: AuditEntry) -> str:
    when = entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = (
        f"{when}  v{entry.version}  {entry.actor}  {change_line(entry.change)}"
        f"  [{entry.change.enterprise_id}]"
    )
    return f"{line}  note: {entry.note}" if entry.note else line
