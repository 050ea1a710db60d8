"""`--dry-run` shows the change and makes none; removing a device with an open alarm needs
`--force`, and the refusal names the alarms."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.integration.registry.conftest import RegistryCli, device, enterprise, rid

pytestmark = pytest.mark.integration


def _alarm(cli: RegistryCli, device_id: str, enterprise_id: str, state: str) -> str:
    """An alarm row as the alarms projection writes it (only the columns the import reads
    matter; the rest are plausible)."""
    alarm_id = rid("ALM-")
    with psycopg.connect(cli.database_url) as conn:
        conn.execute(
            "INSERT INTO alarms (alarm_id, device_id, enterprise_id, division, family, condition,"
            " severity, state, cleared, supervised, suppressed, escalation_level, raised_at,"
            " last_seq, updated_at, view) VALUES (%s, %s, %s, '330106001001', 'gas',"
            " 'gas_high', 'level2', %s, false, false, false, 'none', now(), 1, now(), %s)",
            (alarm_id, device_id, enterprise_id, state, json.dumps({})),
        )
    return alarm_id


def test_a_dry_run_prints_the_change_per_enterprise_and_changes_nothing(
    registry_cli: RegistryCli,
) -> None:
    a, b = rid("EA"), rid("EB")
    kept, dropped, edited = (device(rid("GD-"), a) for _ in range(3))
    registry_cli.run("import", str(registry_cli.write([enterprise(a)], [kept, dropped, edited])))
    version, rows = registry_cli.version(), registry_cli.devices_of(a)
    audited = registry_cli.query("SELECT count(*) FROM registry_audit")
    added_a, added_b = device(rid("GD-"), a), device(rid("GD-"), b)
    new_file = registry_cli.write(
        [enterprise(a), enterprise(b)],
        [kept, {**edited, "location": "罐区B"}, added_a, added_b],
    )

    status, out, _ = registry_cli.run("import", "--dry-run", str(new_file))

    assert status == 0
    lines = out.splitlines()
    a_at = next(i for i, line in enumerate(lines) if line.startswith(f"{a} "))
    b_at = next(i for i, line in enumerate(lines) if line.startswith(f"{b} "))
    a_part, b_part = "\n".join(lines[a_at:b_at]), "\n".join(lines[b_at:])
    assert "devices added 1, changed 1, removed 1" in lines[a_at]
    assert f"added    {added_a['id']}" in a_part
    assert f"changed  {edited['id']}  (location - -> 罐区B)" in a_part
    assert f"removed  {dropped['id']}" in a_part
    assert kept["id"] not in out
    assert "enterprise added" in lines[b_at] and f"added    {added_b['id']}" in b_part
    assert registry_cli.version() == version
    assert registry_cli.devices_of(a) == rows
    assert registry_cli.query("SELECT 1 FROM enterprises WHERE id = %s", b) == []
    assert registry_cli.query("SELECT count(*) FROM registry_audit") == audited
    assert b not in registry_cli.broker_users()


def test_removing_a_device_with_an_open_alarm_is_refused_naming_the_alarm(
    registry_cli: RegistryCli,
) -> None:
    a = rid("EA")
    kept, alarmed = device(rid("GD-"), a), device(rid("GD-"), a)
    registry_cli.run("import", str(registry_cli.write([enterprise(a)], [kept, alarmed])))
    open_id = _alarm(registry_cli, alarmed["id"], a, "acknowledged")
    closed_id = _alarm(registry_cli, alarmed["id"], a, "closed")
    version, rows = registry_cli.version(), registry_cli.devices_of(a)
    without = registry_cli.write([enterprise(a)], [kept])

    dry_status, dry_out, _ = registry_cli.run("import", "--dry-run", str(without))
    status, out, err = registry_cli.run("import", str(without))

    assert dry_status == 0 and open_id in dry_out and "would be refused" in dry_out
    assert status == 1
    assert f"{alarmed['id']}: open alarm {open_id} (gas_high, level2)" in out
    assert open_id in err and "--force" in err and "nothing was changed" in err
    assert closed_id not in out + err
    assert registry_cli.version() == version
    assert registry_cli.devices_of(a) == rows


def test_with_force_a_device_with_an_open_alarm_is_removed_and_the_audit_says_so(
    registry_cli: RegistryCli,
) -> None:
    a = rid("EA")
    kept, alarmed = device(rid("GD-"), a), device(rid("GD-"), a)
    registry_cli.run("import", str(registry_cli.write([enterprise(a)], [kept, alarmed])))
    open_id = _alarm(registry_cli, alarmed["id"], a, "raised")

    status, _, _ = registry_cli.run(
        "import", "--force", str(registry_cli.write([enterprise(a)], [kept]))
    )

    assert status == 0
    assert [r[0] for r in registry_cli.devices_of(a)] == [kept["id"]]
    assert registry_cli.query(
        "SELECT action, note FROM registry_audit WHERE id = %s ORDER BY seq DESC LIMIT 1",
        alarmed["id"],
    ) == [("removed", f"forced past open alarms {open_id}")]
