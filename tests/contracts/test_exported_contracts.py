"""`./run schemas export` writes documents that vendors' own tools accept: the official
AsyncAPI parser parses asyncapi.json with no error or warning, ajv (2020-12, strict) compiles
every JSON Schema. A test of the test shows the check fails on a broken document."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from deploy.cli.commands.schemas import export
from tests.contracts.conftest import Verdict


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    export(tmp_path)
    return tmp_path


def test_the_official_asyncapi_parser_and_ajv_accept_the_exported_documents(
    exported: Path, contract_check: Callable[[Path], Verdict]
) -> None:
    verdict = contract_check(exported)

    assert verdict.asyncapi_problems == []
    assert verdict.schema_problems == {}
    assert len(verdict.report["schemas"]) == len(list(exported.glob("*.schema.json"))) > 1
    assert verdict.status == 0


def test_the_check_fails_on_a_dangling_reference_and_on_a_schema_ajv_cannot_compile(
    exported: Path, contract_check: Callable[[Path], Verdict]
) -> None:
    # Both breakages in one export: one run of the (slow to start) parser sees them both.
    path = exported / "asyncapi.json"
    doc = json.loads(path.read_text())
    envelope = doc["components"]["messages"]["reading_envelope"]["payload"]
    envelope["properties"]["channel"] = {"$ref": "#/$defs/Channel"}  # what pydantic emitted
    path.write_text(json.dumps(doc))
    path = exported / "batch.schema.json"
    schema = json.loads(path.read_text())
    schema["properties"]["readings"]["maxItems"] = "500"  # a string: not a JSON Schema
    path.write_text(json.dumps(schema))

    verdict = contract_check(exported)

    assert verdict.status == 1
    errors = [(d["code"], d["message"]) for d in verdict.asyncapi_problems if d["severity"] == 0]
    assert ("invalid-ref", "'#/$defs/Channel' does not exist") in errors
    assert list(verdict.schema_problems) == ["batch.schema.json"]
