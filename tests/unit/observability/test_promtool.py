"""promtool checks and unit tests of deploy/prometheus, and proof that this harness fails when an
expectation is wrong (every case is mutated once and must then fail)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from deploy.stack import prometheus as stack_prometheus
from deploy.stack.config import StackConfig
from tests.unit.observability.promtool import (
    PROMTOOL,
    RULE_FILES,
    RULES_DIR,
    TEST_FILES,
    as_standalone,
    cases,
    load,
    promtool,
)

pytestmark = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool is absent (Debian package `prometheus`; ./run stack up installs it)",
)


def _case_id(case: tuple[Path, int, int]) -> str:
    path, t, c = case
    return f"{path.stem}-{t}-{c}"


def test_there_are_rule_files_and_promtool_test_files() -> None:
    assert RULE_FILES
    assert TEST_FILES


def test_every_rule_file_passes_promtool_check_rules() -> None:
    result = promtool("check", "rules", *RULE_FILES)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("test_file", TEST_FILES, ids=lambda p: p.stem)
def test_every_promtool_unit_test_passes(test_file: Path) -> None:
    result = promtool("test", "rules", test_file)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_stack_launcher_config_with_our_rules_passes_promtool_check_config(
    tmp_path: Path,
) -> None:
    config = tmp_path / "prometheus.yml"
    config.write_text(stack_prometheus.config_text(StackConfig(root=tmp_path), RULE_FILES))
    result = promtool("check", "config", config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_the_compose_config_with_our_rules_passes_promtool_check_config(tmp_path: Path) -> None:
    compose = (RULES_DIR.parent / "compose" / "prometheus.yml").read_text()
    # Compose mounts deploy/prometheus at /etc/prometheus/rules; point there on this machine.
    config = tmp_path / "prometheus.yml"
    config.write_text(compose.replace("/etc/prometheus/rules", str(RULES_DIR)))
    result = promtool("check", "config", config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rules found" in result.stdout + result.stderr


def _run_mutated(tmp_path: Path, case: tuple[Path, int, int], section: str) -> str:
    path, t, c = case
    suite = as_standalone(copy.deepcopy(load(path)), path)
    target = suite["tests"][t][section][c]
    if section == "alert_rule_test":
        # A firing expectation becomes "silent", a silent one expects an alert that never fires.
        target["exp_alerts"] = [] if target["exp_alerts"] else [{"exp_labels": {"x": "wrong"}}]
    else:
        samples = target["exp_samples"]
        samples[0]["value"] = float(samples[0]["value"]) + 1
    mutated = tmp_path / "mutated.test.yml"
    mutated.write_text(yaml.safe_dump(suite, sort_keys=False))
    result = promtool("test", "rules", mutated)
    assert result.returncode != 0, f"promtool accepted a wrong expectation:\n{result.stdout}"
    return result.stdout + result.stderr


@pytest.mark.parametrize("case", list(cases("alert_rule_test")), ids=_case_id)
def test_promtool_fails_when_an_alert_expectation_is_wrong(
    tmp_path: Path, case: tuple[Path, int, int]
) -> None:
    output = _run_mutated(tmp_path, case, "alert_rule_test")
    assert "FAILED" in output


@pytest.mark.parametrize("case", list(cases("promql_expr_test")), ids=_case_id)
def test_promtool_fails_when_a_recorded_value_expectation_is_wrong(
    tmp_path: Path, case: tuple[Path, int, int]
) -> None:
    output = _run_mutated(tmp_path, case, "promql_expr_test")
    assert "FAILED" in output
