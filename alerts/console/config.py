"""What the console needs beyond the API's services, wired once in `alerts.bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from alerts.accounts.throttle import ThrottlePolicy
from schemas.deadlines import Deadlines
from storage.accounts import AccountRepository


@dataclass(frozen=True)
class ConsoleConfig:
    accounts: AccountRepository
    session_idle: timedelta = timedelta(hours=8)
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    deadlines: Deadlines = field(default_factory=Deadlines)
    secure_cookies: bool = False  # set behind HTTPS
    # The board is drawn from the projection, which may lag the event log by a sink batch; its
    # live feed starts this long before the page was drawn and the repeats are skipped.
    feed_overlap_s: float = 30.0
