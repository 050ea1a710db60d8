"""The worker's registry port against the real registry tables (storage + schemas)."""

from __future__ import annotations

import pytest

from schemas.families import Family, Industry
from schemas.registry import DeviceRecord, EnterpriseRecord, Registry, Thresholds
from storage.datastore import Datastore
from storage.registry import RegistryRepository
from streams.directory import StaticDirectory, registry_loader, registry_version
from tests.integration.streams.harness import rid

pytestmark = pytest.mark.integration


def test_device_overrides_in_the_registry_reach_the_detection_profile(database_url: str) -> None:
    enterprise, detector, valve = rid("E"), rid("gd-"), rid("sv-")
    registry = Registry(
        enterprises=(EnterpriseRecord(id=enterprise, name="plant", division="330106001001",
                                      industry=Industry.CHEMICAL),),
        devices=(
            DeviceRecord(id=detector, enterprise=enterprise, family=Family.GAS,
                         type="combustible", interlock=valve, offline_after_s=45,
                         thresholds=Thresholds(level1=20, level2=40)),
            DeviceRecord(id=valve, enterprise=enterprise, family=Family.SHUTOFF, type="valve"),
        ),
    )
    datastore = Datastore(database_url)
    try:
        RegistryRepository(datastore).replace_all(registry, {})
    finally:
        datastore.close()

    directory = StaticDirectory(registry_loader(database_url)())
    profile = directory.profile(detector, Family.GAS)
    assert [level.threshold for level in profile.thresholds["concentration"].levels] == [20, 40]
    assert profile.interlock_valve == valve
    assert profile.offline.offline_after_s == 45
    assert directory.devices_of(enterprise) == 2


def test_the_registry_version_the_worker_polls_moves_only_when_an_import_changes_it(
    database_url: str,
) -> None:
    enterprise = EnterpriseRecord(id=rid("E"), name="plant", division="330106001001",
                                  industry=Industry.CHEMICAL)
    device = DeviceRecord(id=rid("gd-"), enterprise=enterprise.id, family=Family.GAS,
                          type="combustible")
    version = registry_version(database_url)
    datastore = Datastore(database_url)
    try:
        repository = RegistryRepository(datastore)
        repository.replace_all(Registry(enterprises=(enterprise,), devices=(device,)), {})
        first = version()
        assert version() == first
        repository.replace_all(Registry(enterprises=(enterprise,), devices=(device,)), {})
        assert version() == first  # the same file again changes nothing
        moved = device.model_copy(update={"offline_after_s": 90})
        repository.replace_all(Registry(enterprises=(enterprise,), devices=(moved,)), {})
        assert version() != first
    finally:
        datastore.close()
