"""The rule files, their promtool unit tests, and a way to run promtool on them."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

RULES_DIR = Path(__file__).resolve().parents[3] / "deploy" / "prometheus"
RULE_FILES = sorted(RULES_DIR.glob("*.rules.yml"))
TEST_FILES = sorted((RULES_DIR / "tests").glob("*.test.yml"))
PROMTOOL = shutil.which("promtool")


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    if PROMTOOL is None:
        raise FileNotFoundError("promtool")
    return subprocess.run(
        [PROMTOOL, *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def rules(kind: str) -> Iterator[dict[str, Any]]:
    """Every rule of the rule files that has `kind` ("alert" or "record")."""
    for path in RULE_FILES:
        for group in load(path)["groups"]:
            yield from (rule for rule in group["rules"] if kind in rule)


def cases(section: str) -> Iterator[tuple[Path, int, int]]:
    """(test file, test index, case index) of every case in `section` of every test file
    ("alert_rule_test" or "promql_expr_test")."""
    for path in TEST_FILES:
        for t, test in enumerate(load(path)["tests"]):
            for c, _case in enumerate(test.get(section, [])):
                yield path, t, c


def as_standalone(suite: dict[str, Any], source: Path) -> dict[str, Any]:
    """`suite` with absolute rule file paths, so it can be written anywhere."""
    files = [str((source.parent / name).resolve()) for name in suite["rule_files"]]
    return {**suite, "rule_files": files}
