"""`./run registry import FILE`: a file speaks for the enterprises it names, and only them."""

from __future__ import annotations

import pytest

from tests.integration.registry.conftest import RegistryCli, device, enterprise, rid

pytestmark = pytest.mark.integration


def test_importing_a_file_of_enterprise_b_leaves_enterprise_a_devices_untouched(
    registry_cli: RegistryCli,
) -> None:
    a, b = rid("EA"), rid("EB")
    a_devices = [device(rid("GD-"), a, location=f"罐区{i}") for i in range(3)]
    assert registry_cli.run("import", str(registry_cli.write([enterprise(a)], a_devices)))[0] == 0
    a_rows = registry_cli.devices_of(a)

    b_file = registry_cli.write([enterprise(b)], [device(rid("GD-"), b)])
    status, out, _ = registry_cli.run("import", str(b_file))

    assert status == 0
    assert registry_cli.devices_of(a) == a_rows  # same rows, same updated_at
    assert len(registry_cli.devices_of(b)) == 1
    assert a not in out  # the output speaks only of the enterprises the file names
    assert {a, b} <= registry_cli.broker_users()


def test_a_file_of_enterprise_a_without_one_of_its_devices_removes_only_that_device(
    registry_cli: RegistryCli,
) -> None:
    a, b = rid("EA"), rid("EB")
    kept, dropped = device(rid("GD-"), a), device(rid("GD-"), a)
    registry_cli.run("import", str(registry_cli.write([enterprise(a)], [kept, dropped])))
    registry_cli.run("import", str(registry_cli.write([enterprise(b)], [device(rid("GD-"), b)])))
    b_rows = registry_cli.devices_of(b)

    status, out, _ = registry_cli.run("import", str(registry_cli.write([enterprise(a)], [kept])))

    assert status == 0
    assert [r[0] for r in registry_cli.devices_of(a)] == [kept["id"]]
    assert registry_cli.devices_of(b) == b_rows
    assert f"removed  {dropped['id']}" in out


def test_a_device_moving_between_two_enterprises_the_file_names_is_a_change(
    registry_cli: RegistryCli,
) -> None:
    a, b = rid("EA"), rid("EB")
    moving = device(rid("GD-"), a)
    both = [enterprise(a), enterprise(b)]
    registry_cli.run("import", str(registry_cli.write(both, [moving])))

    moved = {**moving, "enterprise": b}
    status, out, _ = registry_cli.run("import", str(registry_cli.write(both, [moved])))

    assert status == 0
    assert registry_cli.devices_of(a) == []
    assert [r[0] for r in registry_cli.devices_of(b)] == [moving["id"]]
    assert f"changed  {moving['id']}" in out and "removed 0" in out
    assert f"moved to {b}: {moving['id']}" in out


def test_a_file_listing_a_device_of_an_enterprise_it_does_not_name_is_refused(
    registry_cli: RegistryCli,
) -> None:
    a, b = rid("EA"), rid("EB")
    theirs = device(rid("GD-"), a)
    registry_cli.run("import", str(registry_cli.write([enterprise(a)], [theirs])))
    version = registry_cli.version()

    claim = registry_cli.write([enterprise(b)], [{**theirs, "enterprise": b}])
    status, _, err = registry_cli.run("import", str(claim))

    assert status == 1
    assert theirs["id"] in err and a in err and "nothing was changed" in err
    assert [r[0] for r in registry_cli.devices_of(a)] == [theirs["id"]]
    assert registry_cli.version() == version
    assert registry_cli.query("SELECT 1 FROM enterprises WHERE id = %s", b) == []


def test_reimporting_the_same_file_changes_nothing_and_records_nothing(
    registry_cli: RegistryCli,
) -> None:
    a = rid("EA")
    path = registry_cli.write([enterprise(a)], [device(rid("GD-"), a), device(rid("GD-"), a)])
    registry_cli.run("import", str(path))
    version, rows = registry_cli.version(), registry_cli.devices_of(a)
    audited = registry_cli.query("SELECT count(*) FROM registry_audit")

    status, out, _ = registry_cli.run("import", str(path))

    assert status == 0 and "(nothing changed)" in out
    assert registry_cli.version() == version
    assert registry_cli.devices_of(a) == rows
    assert registry_cli.query("SELECT count(*) FROM registry_audit") == audited
