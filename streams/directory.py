"""The registry as detection needs it: a port, an in-memory implementation, a loader.

Detection must not depend on the database being up: the directory is a snapshot refreshed in
the background, and a device it does not know is treated with its family's defaults.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, Protocol

from schemas.families import Family
from streams.profiles import DeviceProfile, DeviceSpec, profile_for
from streams.rules.site import SITE_HOLD_MAX_S, SITE_HOLD_S, SiteRule

_SITE_RULE = SiteRule()
log = logging.getLogger(__name__)


class DeviceDirectory(Protocol):
    def spec(self, device_id: str) -> DeviceSpec | None: ...
    def devices_of(self, enterprise_id: str) -> int: ...


class StaticDirectory:
    """A fixed snapshot; `replace` swaps it atomically (one reference assignment)."""

    def __init__(
        self,
        specs: Iterable[DeviceSpec] = (),
        site_hold_s: float = SITE_HOLD_S,
        site_hold_max_s: float = SITE_HOLD_MAX_S,
    ) -> None:
        self.site_hold_s, self.site_hold_max_s = site_hold_s, site_hold_max_s
        self._specs: dict[str, DeviceSpec] = {}
        self._sizes: Counter[str] = Counter()
        self._profiles: dict[tuple[str, Family], DeviceProfile] = {}
        self.replace(specs)

    def replace(self, specs: Iterable[DeviceSpec]) -> None:
        by_id = {spec.device_id: spec for spec in specs}
        self._specs = by_id
        self._sizes = Counter(spec.enterprise_id for spec in by_id.values())
        self._profiles = {}

    def spec(self, device_id: str) -> DeviceSpec | None:
        return self._specs.get(device_id)

    def devices_of(self, enterprise_id: str) -> int:
        return self._sizes[enterprise_id]

    def profile(self, device_id: str, family: Family) -> DeviceProfile:
        """Profiles are cached: building one per reading would dominate detection time. A
        device the registry does not know has its family's defaults, one profile for all."""
        key = (device_id if device_id in self._specs else "", family)
        found = self._profiles.get(key)
        if found is None:
            found = self._profiles[key] = self._build(device_id, family)
        return found

    def _build(self, device_id: str, family: Family) -> DeviceProfile:
        spec = self._specs.get(device_id)
        found = profile_for(family, spec)
        if spec is None or self._sizes[spec.enterprise_id] < _SITE_RULE.min_devices:
            return found
        # Only a site that can have a site alarm makes its devices wait for one.
        offline = replace(
            found.offline, site_hold_s=self.site_hold_s, site_hold_max_s=self.site_hold_max_s
        )
        return replace(found, offline=offline)


def spec_from_record(record: Any) -> DeviceSpec:
    """A `schemas.registry.DeviceRecord` (read by attribute, so streams needs no import)."""
    thresholds = getattr(record, "thresholds", None)
    if thresholds is None:
        values: dict[str, float] = {}
    elif isinstance(thresholds, dict):
        values = {k: float(v) for k, v in thresholds.items() if v is not None}
    else:
        values = {k: float(v) for k, v in thresholds.model_dump().items() if v is not None}
    return DeviceSpec(
        device_id=record.id,
        enterprise_id=record.enterprise,
        family=Family(str(getattr(record.family, "value", record.family))),
        type=getattr(record, "type", None),
        substance=getattr(record, "substance", None),
        interlock=getattr(record, "interlock", None),
        report_interval_s=getattr(record, "report_interval_s", None),
        offline_after_s=getattr(record, "offline_after_s", None),
        thresholds=values,
    )


def registry_loader(database_url: str) -> Callable[[], list[DeviceSpec]]:
    """Reads the registry through storage (ingest's RegistryRepository on storage's Datastore)."""

    def load() -> list[DeviceSpec]:
        from storage.datastore import Datastore  # type: ignore[import-not-found,unused-ignore]
        from storage.registry import RegistryRepository  # type: ignore[import-not-found,unused-ignore]

        datastore = Datastore(database_url, min_size=1, max_size=1)
        try:
            registry = RegistryRepository(datastore).load()
        finally:
            datastore.close()
        return [spec_from_record(device) for device in registry.devices]

    return load


def registry_version(database_url: str) -> Callable[[], object]:
    """The registry's version number: it changes whenever an import changes anything. Asked
    every refresh period, so it keeps one connection instead of opening a pool each time."""
    repository: Any = None

    def version() -> object:
        from storage.datastore import Datastore  # type: ignore[import-not-found,unused-ignore]
        from storage.registry import RegistryRepository  # type: ignore[import-not-found,unused-ignore]

        nonlocal repository
        if repository is None:
            repository = RegistryRepository(Datastore(database_url, min_size=1, max_size=1))
        return repository.version()

    return version


def listen_for_changes(
    database_url: str, on_change: Callable[[], None], period_s: float = 5.0
) -> threading.Thread:
    """Calls `on_change` whenever PostgreSQL notifies `hw_registry` (migration 0008: every change
    of the registry version), so a device imported a moment ago has its thresholds and interlock
    at once; the worker's poll of the version stays as the fallback for a lost connection."""

    def listen() -> None:
        import psycopg

        while True:
            try:
                with psycopg.connect(database_url, autocommit=True) as conn:
                    conn.execute("LISTEN hw_registry")
                    on_change()  # whatever changed while nobody listened
                    while True:
                        for _note in conn.notifies(timeout=period_s):
                            on_change()
            except psycopg.Error as exc:
                log.warning("registry listener lost its connection (%s); the poll goes on", exc)
                time.sleep(period_s)

    thread = threading.Thread(target=listen, name="registry-listen", daemon=True)
    thread.start()
    return thread


def file_loader(path: str) -> Callable[[], list[DeviceSpec]]:
    """Reads the registry YAML (DESIGN section 11) directly: a stack without a database (a demo,
    a test) still gets per-device thresholds, interlocks and offline times."""

    def load() -> list[DeviceSpec]:
        import yaml

        # The C parser where libyaml is there: the pure-Python one takes seconds (and the GIL)
        # for a county's 100,000 devices.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with open(path, encoding="utf-8") as handle:
            document = yaml.load(handle, Loader=loader) or {}
        return [spec_from_record(_Record(entry)) for entry in document.get("devices", [])]

    return load


def file_version(path: str) -> Callable[[], object]:
    def version() -> object:
        stat = os.stat(path)
        return stat.st_mtime_ns, stat.st_size

    return version


class _Record:
    """A YAML device entry read by attribute, like a DeviceRecord."""

    def __init__(self, entry: dict[str, Any]) -> None:
        self._entry = entry

    def __getattr__(self, name: str) -> Any:
        return self._entry.get(name)
