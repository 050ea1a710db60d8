"""Runs `./run registry ...` in-process against this test's database and the real broker.

A `RegistryCli` writes registry files from plain dicts, calls the command's handler as the
entry script would (so CliError is what the operator sees) and removes the broker users its
imports created when the test ends.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from deploy.cli.commands import registry
from deploy.cli.errors import CliError
from deploy.stack import mosquitto
from deploy.stack.config import StackConfig


def enterprise(enterprise_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": enterprise_id,
        "name": f"企业 {enterprise_id}",
        "division": "330106001001",
        "industry": "chemical",
        "mqtt_password": f"pw-{enterprise_id}",
        **extra,
    }


def device(device_id: str, enterprise_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": device_id,
        "enterprise": enterprise_id,
        "family": "gas",
        "type": "combustible",
        "substance": "CH4",
        "report_interval_s": 10,
        **extra,
    }


def rid(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@dataclass
class RegistryCli:
    database_url: str
    folder: Path
    capsys: pytest.CaptureFixture[str]
    stack_config: StackConfig
    enterprises: set[str] = field(default_factory=set)

    def write(self, enterprises: list[dict[str, Any]], devices: list[dict[str, Any]]) -> Path:
        path = self.folder / f"registry-{uuid.uuid4().hex[:6]}.yaml"
        path.write_text(
            yaml.safe_dump({"enterprises": enterprises, "devices": devices}, allow_unicode=True),
            encoding="utf-8",
        )
        self.enterprises.update(e["id"] for e in enterprises)
        return path

    def run(self, *argv: str) -> tuple[int, str, str]:
        """(exit status, stdout, stderr) of `./run registry ARGV...`."""
        # Only the registry command's parser: the test does not depend on the other commands.
        parser = argparse.ArgumentParser(prog="run")
        registry.register(parser.add_subparsers())
        args = parser.parse_args(["registry", *argv])
        self.capsys.readouterr()
        try:
            status = int(args.handler(args) or 0)
        except CliError as exc:  # as deploy/cli/main.py reports it
            print(f"run: {exc}", file=sys.stderr)
            status = exc.exit_code
        out, err = self.capsys.readouterr()
        return status, out, err

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(sql, params).fetchall()

    def devices_of(self, enterprise_id: str) -> list[tuple[Any, ...]]:
        """The stored rows, updated_at included: an untouched row is exactly the same."""
        return self.query(
            "SELECT id, family, type, location, thresholds::text, updated_at FROM devices"
            " WHERE enterprise_id = %s ORDER BY id",
            enterprise_id,
        )

    def version(self) -> int:
        return int(self.query("SELECT version FROM registry_version")[0][0])

    def broker_users(self) -> set[str]:
        path = self.stack_config.service_dir(mosquitto.NAME) / "credentials.json"
        return set(yaml.safe_load(path.read_text())) if path.exists() else set()


@pytest.fixture
def registry_cli(
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    stack_config: StackConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RegistryCli]:
    monkeypatch.setenv("HW_DATABASE_URL", database_url)
    cli = RegistryCli(database_url, tmp_path, capsys, stack_config)
    yield cli
    if cli.enterprises:
        mosquitto.remove_credentials(stack_config, cli.enterprises)
