"""The pure planner behind the import (storage/registry_changes.py): no services needed."""

from __future__ import annotations

from schemas.families import Family, Industry
from schemas.registry import DeviceRecord, EnterpriseRecord, Registry
from storage.registry_changes import Stored, device_record, enterprise_record, plan


def _enterprise(eid: str, name: str = "厂") -> EnterpriseRecord:
    return EnterpriseRecord(id=eid, name=name, division="330106001001", industry=Industry.OTHER)


def _device(did: str, eid: str) -> DeviceRecord:
    return DeviceRecord(id=did, enterprise=eid, family=Family.GAS, type="toxic")


def test_a_renamed_enterprise_with_a_new_password_is_one_change_that_hides_the_hash() -> None:
    stored = Stored({"E1": enterprise_record(_enterprise("E1"))}, {}, {"E1": "$7$old"})

    found = plan(stored, Registry(enterprises=(_enterprise("E1", "新厂"),)), {"E1": "$7$new"})

    [change] = found.changes
    assert (change.action, change.fields()) == ("changed", ["name", "mqtt_password"])
    assert "$7$" not in str(change.after)


def test_devices_of_enterprises_the_file_does_not_name_are_neither_removed_nor_claimed() -> None:
    stored = Stored(
        {e: enterprise_record(_enterprise(e)) for e in ("E1", "E2")},
        {d.id: device_record(d) for d in (_device("D1", "E1"), _device("D2", "E2"))},
    )
    claim = Registry(enterprises=(_enterprise("E1"),), devices=(_device("D2", "E1"),))

    found = plan(stored, claim, {})

    assert [(c.action, c.id) for c in found.changes] == [("removed", "D1")]
    assert [(f.device_id, f.owner, f.claimed_by) for f in found.foreign] == [("D2", "E2", "E1")]
