"""The worker's registry file: read with the C parser, re-read only when the file changed."""

from __future__ import annotations

import os
from pathlib import Path

from streams.directory import file_loader, file_version


def test_a_registry_file_is_loaded_and_its_version_moves_when_it_is_rewritten(
    tmp_path: Path,
) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text("devices:\n  - {id: gd-1, enterprise: E1, family: gas, offline_after_s: 40}\n")
    version = file_version(str(path))
    first = version()
    assert version() == first
    [spec] = file_loader(str(path))()
    assert (spec.device_id, spec.offline_after_s) == ("gd-1", 40)
    path.write_text("devices:\n  - {id: gd-1, enterprise: E1, family: gas, offline_after_s: 90}\n")
    os.utime(path, ns=(1, 1))
    assert version() != first
