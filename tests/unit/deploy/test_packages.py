from __future__ import annotations

import pytest

from deploy.stack import packages
from deploy.stack.errors import MissingPackages


def test_a_non_root_user_without_the_packages_gets_their_names_and_exit_status_3(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(packages.REQUIREMENTS, "ghost", ("/nonexistent/ghost", "ghost-pkg"))
    monkeypatch.setattr("deploy.stack.packages.os.geteuid", lambda: 1000)
    with pytest.raises(MissingPackages) as raised:
        packages.ensure(["ghost"])
    assert "ghost-pkg" in str(raised.value)
    assert raised.value.exit_code == 3


def test_nothing_is_installed_when_everything_is_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(packages.REQUIREMENTS, "sh", ("/bin/sh", "dash"))
    monkeypatch.setattr(
        "deploy.stack.packages.subprocess.run", lambda *a, **k: pytest.fail("apt ran")
    )
    packages.ensure(["sh"])
