"""Differential: for generated payloads of every family and channel, ajv with the exported
JSON Schema and the gateway's own validation give the same verdict: from the bytes, as a single
message is validated (schemas.readings.parse_payload_json), and from the decoded value, as a
batch's item is (parse_payload). A vendor whose firmware passes the published schema is
accepted, and the other way."""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.families import Channel, Family
from schemas.jsonschema_export import payload_name, payload_schemas
from schemas.readings import MODELS, parse_payload, parse_payload_json

_EXPORTED = payload_schemas()
SCHEMAS = {payload_name(f, c): _EXPORTED[payload_name(f, c)] for f, c in MODELS}
KEYS: dict[str, tuple[Family, Channel]] = {payload_name(f, c): (f, c) for f, c in MODELS}

# Integers stay within 2**53: node parses JSON numbers as doubles, so beyond that ajv would
# judge a rounded number (a limit of the tool, not a disagreement of the contract).
_SAFE = 2**53
_TRICKY = [
    "12.5", "3", "true", "online", "offline", "2026-11-23T08:00:00+08:00", "2026-11-23T08:00:00Z",
    "2026-11-23T08:00:00", "2026-11-23 08:00:00+08:00", "20261123T080000+0800", "",
    "2026-11-23T08+08:00", "2026-11-23T08:00+08:00", "2026-W48-1T08:00:00Z", "1763884800000",
    "2026-11-23T08:00:00.1234567Z", "2026-11-23T08:00:00+0800", "2026-02-30T08:00:00Z",
]
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-_SAFE, _SAFE),
    st.integers(10**11, 4 * 10**13),  # around epoch milliseconds
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
    st.text(max_size=6),
    st.sampled_from(_TRICKY),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=2)
    | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=3,
)


def _valid(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the schema allows (for the keywords the exported schemas use)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([_valid(option) for option in schema["anyOf"]])
    kind = schema.get("type")
    low, high = schema.get("minimum"), schema.get("maximum")
    if kind == "integer":
        return st.integers(
            max(low, -_SAFE) if low is not None else -_SAFE,
            min(high, _SAFE) if high is not None else _SAFE,
        )
    if kind == "number":
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "string" and schema.get("format") == "date-time":
        return st.sampled_from(["2026-11-23T08:00:00+08:00", "2026-11-23T00:00:00.250Z"])
    return _VALUES


def _payloads(name: str) -> st.SearchStrategy[Any]:
    """A payload the schema allows, then most often one thing wrong with it: a field with
    any value, a field missing, an unknown field, or not an object at all."""
    schema = SCHEMAS[name]
    if "properties" not in schema:  # the status: an object, or the bare word
        return st.one_of(st.sampled_from(["online", "offline"]), _object(schema["anyOf"][0]))
    return _object(schema)


def _object(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    props: dict[str, Any] = schema["properties"]
    required = set(schema.get("required", []))
    valid = st.fixed_dictionaries(
        {k: _valid(p) for k, p in props.items() if k in required},
        optional={k: _valid(p) for k, p in props.items() if k not in required},
    )

    def spoil(payload: dict[str, Any], how: int, key: str, value: Any, pick: int) -> Any:
        if how == 0:
            return {**payload, key: value}
        if how == 1:
            return {k: v for k, v in payload.items() if k != key}
        if how == 2:
            return {**payload, "concentraton": value}
        if how == 3:
            return value
        if how == 4 and key in payload:  # the right value in another JSON type
            return {**payload, key: _retyped(payload[key], pick)}
        return payload

    return st.builds(
        spoil, valid, st.integers(0, 5), st.sampled_from(sorted(props)), _VALUES, st.integers(0, 9)
    )


def _retyped(value: Any, pick: int) -> Any:
    options: list[Any] = [json.dumps(value), str(value).lower()]
    if isinstance(value, bool):
        options += [int(value)]
    elif isinstance(value, int | float):
        options += [float(value), bool(value), [value]]
    return options[pick % len(options)]


# Built once: strategies are costly to construct, cheap to draw from.
_CASES = st.one_of([st.tuples(st.just(name), _payloads(name)) for name in sorted(SCHEMAS)])


def _disagreements(
    ajv: Ajv, cases: list[tuple[str, Any]], schemas: dict[str, Any] = SCHEMAS
) -> list[tuple[str, Any, str]]:
    """The cases on which ajv with `schemas` and the gateway differ, saying who accepts."""
    verdicts = ajv.verdicts(cases, schemas)
    gateway = [_gateway(name, payload) for name, payload in cases]
    return [
        (name, payload, _who(ajv, own))
        for (name, payload), ajv, own in zip(cases, verdicts, gateway, strict=True)
        if ajv != own
    ]


def _who(ajv: bool, gateway: bool | str) -> str:
    if isinstance(gateway, str):
        return f"the gateway's paths differ: {gateway}"
    return "schema accepts" if ajv else "gateway accepts"


class Ajv:
    """One node process running js/verdicts.mjs for the whole module."""

    def __init__(self, js: Path) -> None:
        self.proc = subprocess.Popen(
            ["node", str(js / "verdicts.mjs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def verdicts(self, cases: list[tuple[str, Any]], schemas: dict[str, Any]) -> list[bool]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"schemas": schemas, "cases": cases}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"verdicts.mjs ended (exit {self.proc.wait(5)})")
        return list(json.loads(line))

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def ajv(js_tools: Path) -> Iterator[Ajv]:
    running = Ajv(js_tools)
    yield running
    running.close()


def _gateway(name: str, payload: Any) -> bool | str:
    """The gateway's verdict; a string if its two paths (bytes, decoded value) differ."""
    family, channel = KEYS[name]
    verdicts = []
    checks: tuple[Callable[[], object], ...] = (
        lambda: parse_payload_json(family, channel, json.dumps(payload).encode()),
        lambda: parse_payload(family, channel, payload),
    )
    for check in checks:
        try:
            check()
        except ValidationError:
            verdicts.append(False)
        else:
            verdicts.append(True)
    if verdicts[0] != verdicts[1]:
        return f"bytes {verdicts[0]}, decoded {verdicts[1]}"
    return verdicts[0]


# The contract (DESIGN section 4, issue 15): numbers and booleans are JSON's, strictly (no
# "12.5", no 1 for true); `ts` text is RFC 3339 (the exported schema carries the gateway's
# pattern); an integer is a number with a zero fraction (seq 58.0 is 58), as JSON Schema says.
# Fixed examples (derandomize) and no shrinking keep this fast and its outcome stable.
@pytest.mark.slow
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@given(cases=st.lists(_CASES, min_size=150, max_size=150))
def test_ajv_with_the_exported_schema_and_the_gateway_agree_on_every_payload(
    ajv: Ajv, cases: list[tuple[str, Any]]
) -> None:
    assert _disagreements(ajv, cases) == []


def test_the_differential_check_finds_a_deliberately_broken_schema(ajv: Ajv) -> None:
    """The test of the test: a schema that wants the concentration as text disagrees with the
    gateway on a payload both should accept, and the check says so."""
    broken = copy.deepcopy(SCHEMAS)
    broken["gas.telemetry"]["properties"]["concentration"] = {"type": "string"}
    payload = {"ts": 1_763_884_800_000, "seq": 7, "concentration": 12.5, "unit": "%LEL"}
    cases: list[tuple[str, Any]] = [("gas.telemetry", payload), ("gas.heartbeat", payload)]

    assert _disagreements(ajv, cases) == []
    assert _disagreements(ajv, cases, broken) == [
        ("gas.telemetry", payload, "gateway accepts")
    ]
