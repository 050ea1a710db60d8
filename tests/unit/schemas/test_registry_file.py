"""The registry YAML: a valid file parses; every error is reported with its line."""

from __future__ import annotations

import uuid

import pytest

from schemas.registry_file import RegistryFileInvalid, parse


def _ids() -> tuple[str, str, str]:
    return ("E" + uuid.uuid4().hex[:8], "GD-" + uuid.uuid4().hex[:8], "SV-" + uuid.uuid4().hex[:8])


def _valid(ent: str, gas: str, valve: str) -> str:
    return f"""\
enterprises:
  - id: {ent}
    name: 某化工有限公司
    division: "330106001001"
    industry: chemical
devices:
  - id: {gas}
    enterprise: {ent}
    family: gas
    type: combustible
    substance: CH4
    interlock: {valve}
    report_interval_s: 5
    thresholds: {{level1: 20, level2: 40, flatline_after_s: 600}}
  - id: {valve}
    enterprise: {ent}
    family: shutoff
    type: valve
"""


def test_a_valid_file_gives_enterprises_devices_and_default_offline_time():
    ent, gas, valve = _ids()
    registry = parse(_valid(ent, gas, valve), "site.yaml")
    assert [e.id for e in registry.enterprises] == [ent]
    detector = next(d for d in registry.devices if d.id == gas)
    assert detector.effective_offline_after_s == 30.0
    assert detector.thresholds is not None
    assert detector.thresholds.as_overrides() == {
        "level1": 20.0,
        "level2": 40.0,
        "flatline_after_s": 600.0,
    }


def _errors(text: str) -> list[str]:
    with pytest.raises(RegistryFileInvalid) as refused:
        parse(text, "site.yaml")
    return [str(e) for e in refused.value.errors]


def test_every_field_error_is_listed_with_file_and_line():
    ent, gas, valve = _ids()
    text = (
        _valid(ent, gas, valve)
        .replace('"330106001001"', '"33010600100"')
        .replace("type: valve", "type: valve\n    colour: red")
    )
    errors = _errors(text)
    assert any(e.startswith("site.yaml:4: division") for e in errors), errors
    assert any(e.startswith("site.yaml:19: colour") for e in errors), errors


def test_an_unknown_top_level_key_is_refused_with_its_line():
    ent, gas, valve = _ids()
    errors = _errors(_valid(ent, gas, valve) + "sites: []\n")
    assert errors == ["site.yaml:19: unknown key 'sites'"]


def test_duplicate_ids_and_devices_of_unknown_enterprises_are_refused():
    ent, gas, valve = _ids()
    text = (
        _valid(ent, gas, valve)
        + f"""\
  - id: {valve}
    enterprise: {ent}
    family: shutoff
    type: valve
  - id: FE-1
    enterprise: nobody
    family: fire
    type: smoke
"""
    )
    errors = _errors(text)
    assert f"site.yaml:19: duplicate device id {valve}" in errors
    assert "site.yaml:23: unknown enterprise nobody" in errors


def test_an_interlock_must_name_a_shutoff_valve():
    ent, gas, valve = _ids()
    errors = _errors(_valid(ent, gas, valve).replace(f"interlock: {valve}", f"interlock: {gas}"))
    assert errors == [f"site.yaml:7: interlock {gas} is not a shutoff valve"]


def test_a_type_of_another_family_is_refused():
    ent, gas, valve = _ids()
    errors = _errors(_valid(ent, gas, valve).replace("type: combustible", "type: smoke"))
    assert len(errors) == 1 and errors[0].startswith("site.yaml:7:") and "smoke" in errors[0]


def test_broken_yaml_is_reported_at_its_line():
    errors = _errors("enterprises:\n  - id: [unclosed\n")
    assert len(errors) == 1 and errors[0].startswith("site.yaml:") and "YAML" in errors[0]
