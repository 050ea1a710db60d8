"""What a rule concludes: a condition is present (at a severity) or has gone away.

Rules report edges only; the alarm aggregate turns them into lifecycle events
(a raise, a severity change on the open alarm, or a cleared condition).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.families import Severity


@dataclass(frozen=True, slots=True)
class Sample:
    """One numeric observation on the device's clock."""

    at: datetime
    value: float


@dataclass(frozen=True, slots=True)
class Detected:
    condition: str
    severity: Severity
    value: float | None = None
    threshold: float | None = None
    message: str = ""


@dataclass(frozen=True, slots=True)
class Cleared:
    condition: str
    value: float | None = None


Decision = Detected | Cleared

# Conditions whose rule says when they have gone away (a `Cleared` follows the `Detected`).
# Every other condition is a momentary event (trapped, fire alarm, a fault report): nothing
# ever says it stopped, so it never counts as still present.
LASTING_CONDITIONS = frozenset({
    "gas_level", "oxygen", "residual_current", "cable_temperature", "valve_fault",
    "interlock_failure", "offline", "site_offline", "tamper_flatline",
})  # fmt: skip


def seconds_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier).total_seconds()
