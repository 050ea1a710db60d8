"""`./run token` prints a token the alerts service (same stack secret) accepts."""

from __future__ import annotations

import subprocess
from pathlib import Path

from alerts.auth.tokens import verify
from deploy.stack.config import StackConfig
from schemas.families import Family

ROOT = Path(__file__).resolve().parents[3]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "run"), "token", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_a_printed_token_verifies_with_the_stack_secret_and_carries_role_scope_and_families() -> (
    None
):
    done = _run("--role", "regulator", "--scope", "330106", "--families", "gas,shutoff")
    assert done.returncode == 0, done.stderr
    secret = StackConfig.from_env().env()["HW_API_TOKEN_SECRET"]
    claims = verify(secret, done.stdout.strip())
    assert (claims.role, claims.scope, claims.families) == (
        "regulator",
        "330106",
        (Family.GAS, Family.SHUTOFF),
    )


def test_a_scope_that_does_not_fit_the_role_is_one_clear_line_and_a_failure() -> None:
    done = _run("--role", "monitor", "--scope", "3301")
    assert done.returncode != 0
    assert done.stdout == ""
    assert "--scope" in done.stderr
