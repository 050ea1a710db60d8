"""The enterprise's industry, which routing needs and events do not carry: read from the
registry tables (storage/ has no query for it yet), cached per process."""

from __future__ import annotations

from storage.datastore import Datastore

UNKNOWN = "other"


class RegistryIndustries:
    def __init__(self, store: Datastore) -> None:
        self._store = store
        self._known: dict[str, str] = {}

    def __call__(self, enterprise_id: str) -> str:
        found = self._known.get(enterprise_id)
        if found is None:
            with self._store.transaction() as conn:
                row = conn.execute(
                    "SELECT industry FROM enterprises WHERE id = %s", (enterprise_id,)
                ).fetchone()
            # An enterprise missing from the registry still has a township: route it there
            # (and to the family-wide regulators) rather than to nobody.
            found = str(row[0]) if row else UNKNOWN
            if row:
                self._known[enterprise_id] = found
        return found
