"""How repeated login failures are slowed, then refused (pure: counts in, verdict out).

Counted over a window per username and per address, so neither guessing many passwords for
one account nor one password for many accounts gets far. The limits are settings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottlePolicy:
    window_s: float = 900.0  # failures older than this are forgotten
    slow_after: int = 3  # from the 4th failure on, every answer waits
    delay_s: float = 1.0  # ... this long per failure beyond slow_after, at most max_delay_s
    max_delay_s: float = 4.0
    refuse_after: int = 10  # the 11th attempt is refused until the window has passed
    address_factor: int = 3  # an address may fail this many times more than one username


@dataclass(frozen=True)
class Verdict:
    refused: bool
    delay_s: float


def judge(policy: ThrottlePolicy, by_username: int, by_address: int) -> Verdict:
    """What to do with the next attempt, given the failures already counted in the window."""
    if (
        by_username >= policy.refuse_after
        or by_address >= policy.refuse_after * policy.address_factor
    ):
        return Verdict(refused=True, delay_s=policy.max_delay_s)
    excess = max(by_username - policy.slow_after, by_address - policy.slow_after * 3, 0)
    return Verdict(refused=False, delay_s=min(excess * policy.delay_s, policy.max_delay_s))
