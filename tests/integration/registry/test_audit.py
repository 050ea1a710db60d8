"""Every registry change is in the append-only audit, with its actor; `./run registry history`
lists it newest first."""

from __future__ import annotations

import os
import pwd

import psycopg
import pytest

from tests.integration.registry.conftest import RegistryCli, device, enterprise, rid

pytestmark = pytest.mark.integration


def test_the_audit_lists_each_change_with_its_actor_newest_first(
    registry_cli: RegistryCli,
) -> None:
    a = rid("EA")
    first, second = device(rid("GD-"), a), device(rid("GD-"), a)
    registry_cli.run("import", str(registry_cli.write([enterprise(a)], [first, second])))
    edited = {**first, "location": "罐区C"}
    registry_cli.run(
        "import", "--actor", "alice", str(registry_cli.write([enterprise(a)], [edited]))
    )

    status, out, _ = registry_cli.run("history", "--enterprise", a)

    me = f"cli:{pwd.getpwuid(os.getuid()).pw_name}"
    lines = out.splitlines()
    assert status == 0
    assert [line.split("  ")[2:4] for line in lines] == [
        ["alice", f"removed device {second['id']}"],
        ["alice", f"changed device {first['id']} (location - -> 罐区C)"],
        [me, f"added device {second['id']}"],
        [me, f"added device {first['id']}"],
        [me, f"added enterprise {a}"],
    ]
    before, after = registry_cli.query(
        "SELECT before, after FROM registry_audit WHERE id = %s AND action = 'changed'",
        first["id"],
    )[0]
    assert (before["location"], after["location"]) == (None, "罐区C")


def test_history_narrows_to_a_device_and_to_a_limit(registry_cli: RegistryCli) -> None:
    a, b = rid("EA"), rid("EB")
    mine, other = device(rid("GD-"), a), device(rid("GD-"), b)
    registry_cli.run(
        "import", str(registry_cli.write([enterprise(a), enterprise(b)], [mine, other]))
    )

    _, by_device, _ = registry_cli.run("history", "--device", mine["id"])
    _, limited, _ = registry_cli.run("history", "--limit", "2")
    _, of_b, _ = registry_cli.run("history", "--enterprise", b)

    assert [line.split("  ")[3] for line in by_device.splitlines()] == [
        f"added device {mine['id']}"
    ]
    assert len(limited.splitlines()) == 2
    assert mine["id"] not in of_b and a not in of_b and other["id"] in of_b


def test_the_audit_never_holds_the_mqtt_password_or_its_hash(registry_cli: RegistryCli) -> None:
    a = rid("EA")
    registry_cli.run("import", str(registry_cli.write([enterprise(a)], [])))
    registry_cli.run(
        "import", str(registry_cli.write([enterprise(a, mqtt_password="another-secret")], []))
    )

    stored_hash = registry_cli.query("SELECT mqtt_password_hash FROM enterprises")[0][0]
    audit_text = str(registry_cli.query("SELECT before::text, after::text FROM registry_audit"))
    assert "another-secret" not in audit_text and f"pw-{a}" not in audit_text
    assert stored_hash.split("$")[-1] not in audit_text
    assert registry_cli.query(
        "SELECT action, after->>'mqtt_password' FROM registry_audit ORDER BY seq"
    ) == [("added", None), ("changed", "changed")]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE registry_audit SET actor = 'someone-else'",
        "DELETE FROM registry_audit",
        "TRUNCATE registry_audit",
    ],
)
def test_the_database_refuses_to_rewrite_the_audit(
    registry_cli: RegistryCli, statement: str
) -> None:
    a = rid("EA")
    registry_cli.run("import", str(registry_cli.write([enterprise(a)], [device(rid("GD-"), a)])))
    rows = registry_cli.query("SELECT * FROM registry_audit ORDER BY seq")

    with psycopg.connect(registry_cli.database_url) as conn, pytest.raises(
        psycopg.errors.InsufficientPrivilege, match="append-only"
    ):
        conn.execute(statement)

    assert registry_cli.query("SELECT * FROM registry_audit ORDER BY seq") == rows
