"""`RegistryRepository.edit_enterprise`, the self-service API's path into the import: edits of
one enterprise at the same moment never drop each other's device (the part is read under
the import's lock), and an edit is audited and versioned like a file import."""

from __future__ import annotations

import threading
import uuid

import pytest

from schemas.families import Family, Industry
from schemas.registry import DeviceRecord, EnterpriseRecord, Registry
from storage import registry_audit
from storage.datastore import Datastore
from storage.registry import RegistryRepository

pytestmark = pytest.mark.integration


def test_concurrent_edits_of_one_enterprise_keep_every_device(database_url: str) -> None:
    enterprise = f"E{uuid.uuid4().hex[:8]}"
    with Datastore(database_url, max_size=8) as store:
        repository = RegistryRepository(store)
        record = EnterpriseRecord(
            id=enterprise, name="并发企业", division="330106001001", industry=Industry.CHEMICAL
        )
        repository.import_registry(Registry(enterprises=(record,)), {}, actor="test")
        wanted = [f"GD-{uuid.uuid4().hex[:6]}" for _ in range(12)]
        start = threading.Barrier(len(wanted))

        def add(device_id: str) -> None:
            device = DeviceRecord(
                id=device_id, enterprise=enterprise, family=Family.GAS, type="combustible"
            )
            start.wait()
            repository.edit_enterprise(
                enterprise,
                lambda part: part.model_copy(update={"devices": (*part.devices, device)}),
                actor=f"token:enterprise:{device_id}",
            )

        threads = [threading.Thread(target=add, args=(d,)) for d in wanted]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert sorted(d.id for d in repository.part(enterprise).devices) == sorted(wanted)
        added = registry_audit.history(store, enterprise=enterprise, limit=100)
        assert sorted(e.change.id for e in added if e.change.kind == "device") == sorted(wanted)
        assert {e.actor for e in added if e.change.kind == "device"} == {
            f"token:enterprise:{d}" for d in wanted
        }
        assert len({e.version for e in added if e.change.kind == "device"}) == len(wanted)
        with pytest.raises(KeyError):
            repository.part("E-nobody")
