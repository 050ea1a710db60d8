"""What each certificate identity may publish, kept in step with the registry (issue 22).

A device's certificate may publish its own topics, a field gateway's its batch topic under each
enterprise whose devices the registry puts behind it (`certs.allowed_topics`). When the
registry changes, the broker's ACL must follow at once: `./run registry import` re-syncs the
identities it touched (`touched_identities`), `./run certs sync` every one.
"""

from __future__ import annotations

from collections.abc import Collection

from deploy.stack import certs, mosquitto
from deploy.stack.config import StackConfig
from schemas.registry import Registry
from storage.registry_changes import ImportPlan


def sync(
    cfg: StackConfig, registry: Registry, only: Collection[str] | None = None
) -> tuple[list[str], list[str]]:
    """What each identity with a valid certificate may publish, from `registry` as it is now
    (after an import that moved a device or put new devices behind a gateway). Returns the ids
    whose topics changed and those that may publish nothing any more (unknown to the registry,
    or without a valid certificate). `only`: just these ids (the ones an import touched), the
    others left as they are."""
    current = mosquitto.identities(cfg)
    active = certs.Authority(cfg.tls).active()
    scope = set(current) | active if only is None else set(only)
    wanted = {i: certs.allowed_topics(registry, i) for i in scope & active}
    keep = {i: topics for i, topics in wanted.items() if topics and topics != current.get(i)}
    silenced = sorted(i for i in scope & set(current) if not wanted.get(i))
    if keep:
        mosquitto.upsert_identities(cfg, keep)
    if silenced:
        mosquitto.remove_identities(cfg, silenced)
    return sorted(keep), silenced


def touched_identities(plan: ImportPlan) -> set[str]:
    """The certificate identities whose topics an import may have changed: every device it
    added, changed or removed, and the field gateways they were or are behind."""
    touched: set[str] = set()
    for change in plan.changes:
        if change.kind != "device":
            continue
        touched.add(change.id)
        for record in (change.before, change.after):
            if record and record.get("gateway"):
                touched.add(str(record["gateway"]))
    return touched
