from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from alerts.auth.tokens import Claims, issue, verify
from alerts.errors import Unauthorized
from schemas.families import Family

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _claims(**over: object) -> Claims:
    fields: dict[str, object] = {
        "sub": f"u-{uuid4().hex[:8]}",
        "role": "monitor",
        "scope": "330106001",
        "families": (Family.GAS,),
        "exp": int((NOW + timedelta(hours=1)).timestamp()),
    }
    fields.update(over)
    return Claims.model_validate(fields)


def test_a_token_signed_with_the_secret_verifies_to_its_claims() -> None:
    secret = uuid4().hex
    claims = _claims()
    assert verify(secret, issue(secret, claims), now=NOW) == claims


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = issue(uuid4().hex, _claims())
    with pytest.raises(Unauthorized, match="signature"):
        verify(uuid4().hex, token, now=NOW)


def test_a_token_whose_claims_were_edited_is_refused() -> None:
    secret = uuid4().hex
    prefix, _, signature = issue(secret, _claims(role="monitor")).split(".")
    forged_body = issue(uuid4().hex, _claims(role="admin", scope="*")).split(".")[1]
    with pytest.raises(Unauthorized):
        verify(secret, f"{prefix}.{forged_body}.{signature}", now=NOW)


def test_an_expired_token_is_refused() -> None:
    secret = uuid4().hex
    token = issue(secret, _claims(exp=int(NOW.timestamp())))
    with pytest.raises(Unauthorized, match="expired"):
        verify(secret, token, now=NOW)


@pytest.mark.parametrize("token", ["", "abc", "hw1.x", "hw2.a.b", "hw1.!!.!!", "a.b.c.d"])
def test_a_malformed_token_is_refused(token: str) -> None:
    with pytest.raises(Unauthorized):
        verify(uuid4().hex, token, now=NOW)


def test_an_empty_secret_neither_signs_nor_verifies() -> None:
    with pytest.raises(ValueError, match="empty"):
        issue("", _claims())
    with pytest.raises(Unauthorized):
        verify("", issue(uuid4().hex, _claims()), now=NOW)
