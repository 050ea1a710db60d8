"""What a message says that an event does not carry: the enterprise's industry (routing needs
it) and name, and the device's location. Read from the registry tables, cached per process: a
renamed enterprise shows its new name after a restart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from storage.datastore import Datastore

UNKNOWN_INDUSTRY = "other"


@dataclass(frozen=True)
class SiteFacts:
    industry: str
    enterprise_name: str
    device_location: str


FactsOf = Callable[[str, str], SiteFacts]  # (enterprise_id, device_id) -> facts


class RegistryFacts:
    def __init__(self, store: Datastore, keep: int = 100_000) -> None:
        self._store, self._keep = store, keep
        self._known: dict[tuple[str, str], SiteFacts] = {}

    def __call__(self, enterprise_id: str, device_id: str) -> SiteFacts:
        found = self._known.get((enterprise_id, device_id))
        if found is not None:
            return found
        with self._store.transaction() as conn:
            enterprise = conn.execute(
                "SELECT industry, name FROM enterprises WHERE id = %s", (enterprise_id,)
            ).fetchone()
            device = conn.execute(
                "SELECT location FROM devices WHERE id = %s", (device_id,)
            ).fetchone()
        # An enterprise missing from the registry still has a township: route it there (and
        # to the family-wide regulators) rather than to nobody; do not cache the guess.
        found = SiteFacts(
            industry=str(enterprise[0]) if enterprise else UNKNOWN_INDUSTRY,
            enterprise_name=str(enterprise[1]) if enterprise else enterprise_id,
            device_location=str(device[0] or "") if device else "",
        )
        if enterprise and len(self._known) < self._keep:
            self._known[(enterprise_id, device_id)] = found
        return found
