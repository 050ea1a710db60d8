"""Site offline: every device of an enterprise silent at once is one site-level alarm.

State is per enterprise (an internal topic keyed by enterprise id carries each device's
offline/online transitions). A single-device enterprise never gets a site alarm: its own
offline alarm already says everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from schemas.families import Severity
from streams.rules.decisions import Cleared, Decision, Detected

CONDITION = "site_offline"
SITE_KEY_PREFIX = "site:"
# Default of `OfflineRule.site_hold_s` at sites of several devices. Devices that go dark
# together (a site's power, uplink or collector) pass their deadlines within about one timer
# period of each other; the site's verdict then needs two hops through Kafka.
SITE_HOLD_S = 3.0
# How long at most a held device alarm waits for a verdict the site aggregation never sends.
SITE_HOLD_MAX_S = 30.0


def site_key(enterprise_id: str) -> str:
    """The pseudo device id a site alarm is keyed and stored under."""
    return SITE_KEY_PREFIX + enterprise_id


@dataclass(frozen=True, slots=True)
class SiteInhibition:
    """The site alarm stands for this device's offline alarm (`window_id` names the site)."""

    window_id: str
    reason: str = "the whole site is offline: covered by the site alarm"


@dataclass(frozen=True, slots=True)
class SiteRule:
    min_devices: int = 2
    severity: Severity = Severity.ORANGE


class SiteState(BaseModel):
    model_config = ConfigDict(frozen=True)

    known: frozenset[str] = frozenset()
    offline: frozenset[str] = frozenset()
    active: bool = False
    # Offline devices whose alarm waits for the verdict, and until when they wait for their
    # siblings: the site's clock (`release_due`) then releases them unless the site alarm
    # came first. Empty while the site alarm stands (newcomers are covered at once).
    held: dict[str, datetime] = {}


def on_presence(
    state: SiteState,
    device_id: str,
    online: bool,
    registered: int,
    rule: SiteRule,
    hold_until: datetime | None = None,
) -> tuple[SiteState, list[Decision]]:
    """`registered` is the registry's count; devices seen but not (yet) registered count too.
    `hold_until`: the device went offline holding its alarm for the verdict until then."""
    known = state.known | {device_id}
    offline = state.offline - {device_id} if online else state.offline | {device_id}
    held = dict(state.held)
    if online:
        held.pop(device_id, None)
    elif hold_until is not None:
        held[device_id] = hold_until
    total = max(registered, len(known))
    everyone = total >= rule.min_devices and len(offline) >= total
    if everyone and not state.active:
        message = f"all {total} devices of the site are offline"
        return SiteState(known=known, offline=offline, active=True), [
            Detected(CONDITION, rule.severity, float(len(offline)), float(total), message)
        ]
    if state.active and not everyone:
        return SiteState(known=known, offline=offline, held=held), [
            Cleared(CONDITION, float(len(offline)))
        ]
    if state.active:
        held = {}
    return SiteState(known=known, offline=offline, active=state.active, held=held), []


def release_due(state: SiteState, now: datetime) -> tuple[SiteState, list[str]]:
    """Held devices whose wait ended by `now` with the site still not all offline: each one's
    own offline alarm is raised plainly."""
    due = sorted(d for d, until in state.held.items() if until <= now)
    if not due:
        return state, []
    held = {d: until for d, until in state.held.items() if until > now}
    return state.model_copy(update={"held": held}), due


def next_release(state: SiteState) -> datetime | None:
    return min(state.held.values(), default=None)


def covered(before: SiteState, after: SiteState, device_id: str, online: bool) -> list[str]:
    """Devices whose offline alarm the site alarm now stands for: all offline ones when it
    was just raised, the newcomer when it was already active."""
    if not after.active or online:
        return []
    if not before.active:
        return sorted(after.offline)
    return [device_id]
