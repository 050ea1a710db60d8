"""Logging in and out: the password check, the throttle, and the record of every attempt."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from alerts.accounts.passwords import verify
from alerts.accounts.throttle import ThrottlePolicy, judge
from alerts.errors import AlertsError
from storage.accounts import AccountRepository, AccountRow


class LoginFailed(AlertsError):
    """Wrong username or password, or a disabled account (the reason is in `reason`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "bad_credentials" | "disabled"


class LoginRefused(AlertsError):
    """Too many failures recently: refused without checking the password."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__("too many failed logins")
        self.retry_after_s = retry_after_s


def log_in(
    repository: AccountRepository,
    policy: ThrottlePolicy,
    username: str,
    password: str,
    address: str,
    sleep: Callable[[float], None] = time.sleep,
) -> AccountRow:
    since = datetime.now(UTC) - timedelta(seconds=policy.window_s)
    verdict = judge(policy, *repository.failures_since(username, address, since))
    if verdict.refused:
        repository.record(username, address, "refused")
        raise LoginRefused(policy.window_s)
    # Slowing every answer (right or wrong) once failures pile up gives a guesser nothing.
    if verdict.delay_s:
        sleep(verdict.delay_s)
    row = repository.get(username)
    if not verify(row.password_hash if row else None, password) or row is None:
        repository.record(username, address, "failure", "unknown user" if row is None else "")
        raise LoginFailed("bad_credentials")
    if not row.enabled:
        repository.record(username, address, "failure", "disabled")
        raise LoginFailed("disabled")
    repository.record(username, address, "login")
    return row
