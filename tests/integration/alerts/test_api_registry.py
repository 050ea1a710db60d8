"""Enterprise self-service of the registry through the API, against the real database:
scope (another enterprise's device is 404), roles (monitors read only), the file's validation
(422 naming the field), the open-alarm refusal, the audit's actor and the YAML round trip
through `./run registry import`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from fastapi.testclient import TestClient

from alerts.services import Services
from deploy.cli.commands.registry import import_file
from deploy.stack import mosquitto
from schemas.families import Family, Industry
from schemas.registry import DeviceRecord, EnterpriseRecord, Registry
from schemas.registry_file import parse
from storage import registry_audit
from storage.registry import RegistryRepository
from tests.integration.alerts.conftest import Login, TokenFactory
from tests.integration.alerts.seed import seed_alarm

pytestmark = pytest.mark.integration

DIVISION = "330106001001"  # in the conftest monitor's township 330106001


def _seed(services: Services, enterprise_id: str, *device_ids: str) -> None:
    registry = Registry(
        enterprises=(
            EnterpriseRecord(
                id=enterprise_id,
                name=f"企业 {enterprise_id}",
                division=DIVISION,
                industry=Industry.CHEMICAL,
            ),
        ),
        devices=tuple(
            DeviceRecord(id=d, enterprise=enterprise_id, family=Family.GAS, type="combustible")
            for d in device_ids
        ),
    )
    hashes = {enterprise_id: mosquitto.hash_password(f"pw-{enterprise_id}")}
    RegistryRepository(services.store).import_registry(registry, hashes, actor="test")


def _ids() -> tuple[str, str]:
    return f"E{uuid4().hex[:8]}", f"GD-{uuid4().hex[:8]}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


GAS = {"family": "gas", "type": "combustible", "substance": "CH4", "report_interval_s": 10}


def _an_enterprise_adds_changes_and_removes_its_device_with_itself_as_actor(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    enterprise, device = _ids()
    _seed(services, enterprise)
    own = _bearer(token(role="enterprise", scope=enterprise))

    added = client.put(
        f"/api/v1/devices/{device}", json={**GAS, "location": "罐区A-1"}, headers=own
    )
    assert added.status_code == 201, added.text
    assert added.json()["action"] == "added"
    got = client.get(f"/api/v1/devices/{device}", headers=own)
    assert got.status_code == 200
    assert got.json() == {
        "id": device, "enterprise": enterprise, "family": "gas", "type": "combustible",
        "substance": "CH4", "location": "罐区A-1", "report_interval_s": 10.0,
    }  # fmt: skip

    body = {**GAS, "location": "罐区B-2", "thresholds": {"level1": 15}}
    changed = client.put(f"/api/v1/devices/{device}", json=body, headers=own)
    assert changed.status_code == 200
    assert changed.json()["action"] == "changed"
    assert changed.json()["fields"] == ["location", "thresholds"]
    again = client.put(f"/api/v1/devices/{device}", json=body, headers=own)
    assert again.json()["action"] == "unchanged"
    assert again.json()["version"] == changed.json()["version"]  # nothing rewritten

    listed = client.get("/api/v1/devices", headers=own).json()
    assert [d["device_id"] for d in listed] == [device]
    removed = client.delete(f"/api/v1/devices/{device}", headers=own)
    assert removed.status_code == 200
    assert removed.json()["action"] == "removed"
    assert client.get(f"/api/v1/devices/{device}", headers=own).status_code == 404

    history = registry_audit.history(services.store, device=device)
    assert [e.change.action for e in history] == ["removed", "changed", "added"]
    actors = {e.actor for e in history}
    assert len(actors) == 1 and actors.pop().startswith("token:enterprise:u-"), history


def _another_enterprises_device_is_404_for_read_and_write(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    a, device = _ids()
    b, _ = _ids()
    _seed(services, a, device)
    _seed(services, b)
    other = _bearer(token(role="enterprise", scope=b))
    before = RegistryRepository(services.store).device(device)
    version = RegistryRepository(services.store).version()

    assert client.get(f"/api/v1/devices/{device}", headers=other).status_code == 404
    taken = client.put(f"/api/v1/devices/{device}", json=GAS, headers=other)
    assert taken.status_code == 404, taken.text
    assert client.delete(f"/api/v1/devices/{device}?force=true", headers=other).status_code == 404
    assert client.get(f"/api/v1/registry.yaml?enterprise={a}", headers=other).status_code == 404
    assert device not in client.get("/api/v1/registry.yaml", headers=other).text

    assert RegistryRepository(services.store).device(device) == before
    assert RegistryRepository(services.store).version() == version


def _monitors_and_regulators_read_but_may_not_write(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    enterprise, device = _ids()
    _seed(services, enterprise, device)
    for role, scope in (("monitor", "330106001"), ("regulator", "330106")):
        reader = _bearer(token(role=role, scope=scope))
        assert client.get(f"/api/v1/devices/{device}", headers=reader).status_code == 200
        assert client.put(f"/api/v1/devices/{device}", json=GAS, headers=reader).status_code == 403
        assert client.delete(f"/api/v1/devices/{device}", headers=reader).status_code == 403
        assert client.get("/api/v1/registry.yaml", headers=reader).status_code == 403
    elsewhere = _bearer(token(role="monitor", scope="330106002"))
    assert client.get(f"/api/v1/devices/{device}", headers=elsewhere).status_code == 404
    fire_brigade = _bearer(token(role="regulator", scope="330106", families=("fire",)))
    assert client.get(f"/api/v1/devices/{device}", headers=fire_brigade).status_code == 404


def _fields_at_fault(response: Any) -> list[tuple[str, ...]]:
    assert response.status_code == 422, response.text
    return [tuple(str(p) for p in e["loc"]) for e in response.json()["detail"]]


def _a_bad_field_is_422_naming_it_and_changes_nothing(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    enterprise, device = _ids()
    _seed(services, enterprise)
    own = _bearer(token(role="enterprise", scope=enterprise))
    version = RegistryRepository(services.store).version()
    url = f"/api/v1/devices/{device}"

    assert _fields_at_fault(client.put(url, json={**GAS, "type": "valve"}, headers=own)) == [
        ("body", "type")
    ]
    assert _fields_at_fault(client.put(url, json={**GAS, "colour": "red"}, headers=own)) == [
        ("body", "colour")
    ]
    bad_levels = {**GAS, "thresholds": {"level1": 40, "level2": 20}}
    assert _fields_at_fault(client.put(url, json=bad_levels, headers=own)) == [
        ("body", "thresholds")
    ]
    no_valve = {**GAS, "interlock": "SV-missing"}
    assert _fields_at_fault(client.put(url, json=no_valve, headers=own)) == [("body", "interlock")]
    foreign = {**GAS, "enterprise": "E-someone-else", "report_interval_s": -1}
    assert _fields_at_fault(client.put(url, json=foreign, headers=own)) == [
        ("body", "enterprise"),
        ("body", "report_interval_s"),
    ]
    assert RegistryRepository(services.store).device(device) is None
    assert RegistryRepository(services.store).version() == version


def _removing_a_device_with_an_open_alarm_needs_force(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    enterprise, device = _ids()
    _seed(services, enterprise, device)
    alarm = seed_alarm(services.store, enterprise_id=enterprise)
    with services.store.transaction() as conn:
        conn.execute(
            "UPDATE alarms SET device_id = %s WHERE alarm_id = %s", (device, alarm["alarm_id"])
        )
    own = _bearer(token(role="enterprise", scope=enterprise))

    refused = client.delete(f"/api/v1/devices/{device}", headers=own)
    assert refused.status_code == 409
    assert alarm["alarm_id"] in refused.json()["detail"]
    assert RegistryRepository(services.store).device(device) is not None

    forced = client.delete(f"/api/v1/devices/{device}?force=true", headers=own)
    assert forced.status_code == 200
    (entry,) = registry_audit.history(services.store, device=device, limit=1)
    assert entry.change.action == "removed"
    assert entry.note is not None and alarm["alarm_id"] in entry.note


def _the_downloaded_yaml_imports_unchanged(
    client: TestClient,
    services: Services,
    token: TokenFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    stack_config: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    enterprise, device = _ids()
    _seed(services, enterprise, device)
    own = _bearer(token(role="enterprise", scope=enterprise))
    valve = f"SV-{uuid4().hex[:6]}"
    put = client.put(f"/api/v1/devices/{valve}", json={"family": "shutoff", "type": "valve"},
                     headers=own)  # fmt: skip
    assert put.status_code == 201
    body = {**GAS, "interlock": valve, "thresholds": {"level1": 12.5, "level2": 30}}
    assert client.put(f"/api/v1/devices/{device}", json=body, headers=own).status_code == 200

    downloaded = client.get("/api/v1/registry.yaml", headers=own)
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"].startswith("application/yaml")
    path = tmp_path / "mine.yaml"
    path.write_text(downloaded.text, encoding="utf-8")
    assert {d.id for d in parse(downloaded.text).devices} == {device, valve}

    version = RegistryRepository(services.store).version()
    monkeypatch.setenv("HW_DATABASE_URL", database_url)
    try:
        import_file(path, actor="test")
    finally:
        mosquitto.remove_credentials(stack_config, [enterprise])
    assert "(nothing changed)" in capsys.readouterr().out
    assert RegistryRepository(services.store).version() == version


def _a_console_account_changes_its_devices_with_the_csrf_token(
    login: Login, services: Services
) -> None:
    enterprise, device = _ids()
    _seed(services, enterprise)
    browser = login("enterprise", enterprise)
    page = browser.get("/console/").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None

    assert browser.put(f"/api/v1/devices/{device}", json=GAS).status_code == 403
    done = browser.put(f"/api/v1/devices/{device}", json=GAS, headers={"X-CSRF-Token": csrf[1]})
    assert done.status_code == 201, done.text
    assert browser.get(f"/api/v1/devices/{device}").status_code == 200
    assert [d["device_id"] for d in browser.get("/api/v1/devices").json()] == [device]
    assert device in browser.get("/api/v1/registry.yaml").text
    (entry,) = registry_audit.history(services.store, device=device)
    assert entry.actor.startswith("account:ent-")


def _an_admin_names_the_enterprise(
    client: TestClient, services: Services, token: TokenFactory, database_url: str
) -> None:
    enterprise, device = _ids()
    _seed(services, enterprise)
    admin = _bearer(token(role="admin", scope="*"))
    url = f"/api/v1/devices/{device}"
    assert _fields_at_fault(client.put(url, json=GAS, headers=admin)) == [("body", "enterprise")]
    nobody = client.put(url, json={**GAS, "enterprise": "E-nobody"}, headers=admin)
    assert nobody.status_code == 404
    assert client.put(url, json={**GAS, "enterprise": enterprise}, headers=admin).status_code == 201
    assert client.delete(url, headers=admin).status_code == 200
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM devices WHERE id = %s", (device,)).fetchone() == (
            0,
        )


# One application per test (its live feed joins Kafka: seconds), several checks per test.


def test_an_enterprise_manages_its_devices_by_token_and_account_and_downloads_its_file(
    client: TestClient,
    services: Services,
    token: TokenFactory,
    login: Login,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    stack_config: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _an_enterprise_adds_changes_and_removes_its_device_with_itself_as_actor(client, services, token)
    _the_downloaded_yaml_imports_unchanged(
        client, services, token, tmp_path, monkeypatch, database_url, stack_config, capsys
    )
    _a_console_account_changes_its_devices_with_the_csrf_token(login, services)


def test_another_enterprises_device_is_404_monitors_read_only_admins_name_the_owner(
    client: TestClient, services: Services, token: TokenFactory, database_url: str
) -> None:
    _another_enterprises_device_is_404_for_read_and_write(client, services, token)
    _monitors_and_regulators_read_but_may_not_write(client, services, token)
    _an_admin_names_the_enterprise(client, services, token, database_url)


def test_the_files_checks_apply_bad_fields_are_422_open_alarms_refuse_removal(
    client: TestClient, services: Services, token: TokenFactory
) -> None:
    _a_bad_field_is_422_naming_it_and_changes_nothing(client, services, token)
    _removing_a_device_with_an_open_alarm_needs_force(client, services, token)
