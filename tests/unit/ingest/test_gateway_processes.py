"""`./run up` starts HW_INGEST_PROCESSES gateways (default: one per core), each on its own port."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deploy import services
from deploy.stack.config import StackConfig


def _gateways(cfg: StackConfig) -> list[services.Service]:
    return [s for s in services.table(cfg) if s.module == "ingest"]


def test_n_gateways_each_on_the_base_port_plus_its_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HW_INGEST_PROCESSES", "3")
    cfg = StackConfig(root=Path("/nonexistent"), api_port=28000)
    gateways = _gateways(cfg)
    assert [(g.name, g.port, g.env["HW_INGEST_HTTP_PORT"]) for g in gateways] == [
        ("ingest-1", 28101, "28101"),
        ("ingest-2", 28102, "28102"),
        ("ingest-3", 28103, "28103"),
    ]
    assert [g.args for g in gateways] == [("--instance", str(n)) for n in (1, 2, 3)]


def test_by_default_one_gateway_per_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HW_INGEST_PROCESSES", raising=False)
    assert len(_gateways(StackConfig(root=Path("/nonexistent")))) == (os.cpu_count() or 1)
