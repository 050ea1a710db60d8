"""Enterprise self-service of the registry: read, add, change and remove one's own devices,
and download one's part of the registry as the YAML `./run registry import` reads.

A change here is an import of the caller's enterprise with one device edited
(`RegistryRepository.edit_enterprise`): the same validation as the file, the same refusal to
remove a device with an open alarm unless `?force=true`, the same audit row (the token or the
account as actor) and the same NOTIFY that lets the ingest gateways know the device at once.
The broker needs nothing: its ACL is a pattern on the enterprise's username, and device
changes never touch the enterprise's credentials.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Body, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from alerts.api.caller import Caller, CallerDep
from alerts.api.deps import ServicesDep
from alerts.errors import Conflict, Forbidden, NotFound
from schemas.registry import DeviceRecord, Registry
from storage.registry import ImportSummary, RegistryRepository
from storage.registry_changes import (
    ForeignDevicesListed,
    OpenAlarmsBlockRemoval,
    device_record,
    enterprise_record,
)

router = APIRouter(prefix="/api/v1", tags=["registry"])

_WRITERS = frozenset({"enterprise", "admin"})
_REGISTERED = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # schemas.registry.Identifier
_FIELDS = frozenset(DeviceRecord.model_fields)
_EXAMPLE = {
    "family": "gas",
    "type": "combustible",
    "substance": "CH4",
    "location": "罐区A-1",
    "report_interval_s": 10,
    "thresholds": {"level1": 20, "level2": 40},
}
Action = Literal["added", "changed", "unchanged", "removed"]


class DeviceChange(BaseModel):
    action: Action
    device: dict[str, Any]  # the record as the registry file lists it
    fields: list[str]  # for a change: the fields that differ
    version: int  # the registry version after the call


class _Refused(Exception):
    """Raised inside the import's transaction: nothing is written."""

    def __init__(self, errors: list[dict[str, Any]] | None = None, conflict: str = "") -> None:
        super().__init__(conflict)
        self.errors = errors or []
        self.conflict = conflict


class _Missing(Exception):
    pass


def _file_shape(record: dict[str, Any]) -> dict[str, Any]:
    """A record as one writes it in the file: absent rather than null."""
    return {k: v for k, v in record.items() if v is not None}


def _not_found(device_id: str) -> NotFound:
    return NotFound(f"no device {device_id} in your scope")


def _writer(caller: Caller) -> None:
    if caller.scope.role not in _WRITERS:
        raise Forbidden("only the enterprise (or an admin) changes its devices; yours reads")


def _field_of(err: Any) -> tuple[str | int, ...]:
    loc = tuple(err["loc"])
    if loc:
        return loc
    # The record's own checks (type fits family, substance or interlock only for gas) name
    # their field first, as the file's error lines do.
    word = str(err["msg"]).removeprefix("Value error, ").split(" ", 1)[0]
    return (word,) if word in _FIELDS else ()


def _validate(body: dict[str, Any], device_id: str, enterprise: str) -> DeviceRecord:
    errors: list[dict[str, Any]] = []
    for key, wanted in (("id", device_id), ("enterprise", enterprise)):
        if key in body and body[key] != wanted:
            errors.append(
                {
                    "loc": ("body", key),
                    "msg": f"must be {wanted!r} (the path's device, the caller's enterprise);"
                    " a device moves between enterprises by a registry file naming both",
                    "type": "value_error",
                }
            )
    try:
        record = DeviceRecord.model_validate({**body, "id": device_id, "enterprise": enterprise})
    except ValidationError as exc:
        errors += [
            {"loc": ("body", *_field_of(e)), "msg": e["msg"], "type": e["type"]}
            for e in exc.errors()
        ]
    if errors:
        raise RequestValidationError(errors)
    return record


def _consistent(registry: Registry, edited: str | None) -> Registry:
    """The file's checks between records: an error of the edited device is the caller's
    field at fault (422); one of another device (its interlock valve went) is a conflict."""
    errors, conflicts = [], []
    for _section, index, reason in registry.cross_errors():
        device = registry.devices[index]
        if device.id == edited:
            field = reason.split(" ", 1)[0]
            errors.append({"loc": ("body", field), "msg": reason, "type": "value_error"})
        else:
            conflicts.append(f"{device.id}: {reason}")
    if errors or conflicts:
        raise _Refused(errors, "; ".join(conflicts))
    return registry


def _owner(caller: Caller, repository: RegistryRepository, device_id: str, named: object) -> str:
    """The enterprise whose part the call edits: the caller's own, or for an admin the one the
    body names, else the device's current one."""
    if caller.scope.enterprise_id is not None:
        return caller.scope.enterprise_id
    if isinstance(named, str) and _REGISTERED.match(named):
        return named
    found = repository.device(device_id)
    if found is None:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "enterprise"),
                    "msg": "an admin names the device's enterprise",
                    "type": "missing",
                }
            ]
        )
    return found[0].enterprise


def _change(summary: ImportSummary, device_id: str, record: dict[str, Any]) -> DeviceChange:
    change = next(
        (c for c in summary.plan.changes if c.kind == "device" and c.id == device_id), None
    )
    return DeviceChange(
        action="unchanged" if change is None else change.action,
        device=_file_shape(record),
        fields=[] if change is None else change.fields(),
        version=summary.version,
    )


@router.get(
    "/devices/{device_id}",
    response_model=dict[str, Any],
    summary="one device's registry record (as the registry file lists it)",
)
def get_device(device_id: str, caller: CallerDep, svc: ServicesDep) -> dict[str, Any]:
    known = _REGISTERED.match(device_id) is not None
    found = RegistryRepository(svc.store).device(device_id) if known else None
    if found is None:
        raise _not_found(device_id)
    record, division = found
    if not caller.scope.sees(record.enterprise, division, record.family.value):
        raise _not_found(device_id)
    return _file_shape(device_record(record))


@router.put(
    "/devices/{device_id}",
    response_model=DeviceChange,
    summary="add or replace one of your devices (fields as in the registry file; 201 when added)",
)
def put_device(
    device_id: str,
    body: Annotated[dict[str, Any], Body(examples=[_EXAMPLE])],
    caller: CallerDep,
    svc: ServicesDep,
    response: Response,
) -> DeviceChange:
    _writer(caller)
    if not _REGISTERED.match(device_id):
        raise RequestValidationError(
            [{"loc": ("path", "device_id"), "msg": "[A-Za-z0-9_-]{1,64}", "type": "value_error"}]
        )
    repository = RegistryRepository(svc.store)
    enterprise = _owner(caller, repository, device_id, body.get("enterprise"))
    record = _validate(body, device_id, enterprise)

    def edit(part: Registry) -> Registry:
        others = tuple(d for d in part.devices if d.id != device_id)
        return _consistent(part.model_copy(update={"devices": (*others, record)}), device_id)

    summary = _edit(repository, caller, enterprise, device_id, edit, force=False)
    change = _change(summary, device_id, device_record(record))
    response.status_code = 201 if change.action == "added" else 200
    return change


@router.delete(
    "/devices/{device_id}",
    response_model=DeviceChange,
    summary="remove one of your devices (409 while it has an open alarm, unless force=true)",
)
def delete_device(
    device_id: str,
    caller: CallerDep,
    svc: ServicesDep,
    force: bool = False,
) -> DeviceChange:
    _writer(caller)
    if not _REGISTERED.match(device_id):
        raise _not_found(device_id)
    repository = RegistryRepository(svc.store)
    if caller.scope.enterprise_id is not None:
        enterprise = caller.scope.enterprise_id
    else:
        found = repository.device(device_id)
        if found is None:
            raise _not_found(device_id)
        enterprise = found[0].enterprise
    removed: list[DeviceRecord] = []

    def edit(part: Registry) -> Registry:
        removed[:] = [d for d in part.devices if d.id == device_id]
        if not removed:
            raise _Missing
        others = tuple(d for d in part.devices if d.id != device_id)
        return _consistent(part.model_copy(update={"devices": others}), None)

    summary = _edit(repository, caller, enterprise, device_id, edit, force=force)
    return _change(summary, device_id, device_record(removed[0]))


def _edit(
    repository: RegistryRepository,
    caller: Caller,
    enterprise: str,
    device_id: str,
    edit: Callable[[Registry], Registry],
    *,
    force: bool,
) -> ImportSummary:
    try:
        return repository.edit_enterprise(enterprise, edit, actor=caller.actor, force=force)
    except (KeyError, _Missing, ForeignDevicesListed):
        # An unknown enterprise (admin), or the device is another enterprise's: 404 alike.
        raise _not_found(device_id) from None
    except OpenAlarmsBlockRemoval as exc:
        alarms = ", ".join(str(a) for a in exc.alarms)
        raise Conflict(
            f"device {device_id} has open alarms: {alarms}; force=true removes it anyway"
            " (the audit notes the alarms)"
        ) from exc
    except _Refused as exc:
        if exc.errors:
            raise RequestValidationError(exc.errors) from exc
        raise Conflict(f"refused, other devices depend on it: {exc.conflict}") from exc


@router.get(
    "/registry.yaml",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {}}}},
    summary="your part of the registry as a file `./run registry import` accepts unchanged",
)
def registry_yaml(
    caller: CallerDep,
    svc: ServicesDep,
    enterprise: Annotated[str | None, Query(pattern=_REGISTERED.pattern)] = None,
) -> Response:
    """An enterprise gets its own part; an admin one enterprise's (`enterprise=`) or all.
    Monitors and regulators are refused: a file speaks for every device of the enterprises it
    names, and a part cut to their families would remove the rest when imported."""
    scope = caller.scope
    repository = RegistryRepository(svc.store)
    if scope.role not in _WRITERS:
        raise Forbidden("the registry file is the enterprise's; GET /api/v1/devices lists yours")
    wanted = scope.enterprise_id or enterprise
    if wanted is not None and enterprise not in (None, wanted):
        raise NotFound(f"no enterprise {enterprise} in your scope")
    try:
        registry = repository.part(wanted) if wanted is not None else repository.load()
    except KeyError:
        raise NotFound(f"no enterprise {wanted} in your scope") from None
    body = {
        "enterprises": [enterprise_record(e) for e in registry.enterprises],
        "devices": [_file_shape(device_record(d)) for d in registry.devices],
    }
    names = ", ".join(e.id for e in registry.enterprises) or "no enterprise"
    header = (
        f"# hazardwatch registry: {names}; version {repository.version()},"
        f" exported {datetime.now(UTC).isoformat(timespec='seconds')}.\n"
        "# `./run registry import` this file as it is; it speaks for the enterprises it names:\n"
        "# their devices it does not list are removed. MQTT passwords are never exported.\n"
    )
    text = header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False)
    filename = f"registry-{wanted or 'all'}.yaml"
    return Response(
        text,
        media_type="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
