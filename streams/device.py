"""One device key's whole state and the pure steps the agent applies to it.

Readings, commands and timer ticks for a device all land here, in order, through one agent:
detection state and the device's alarms change together, so a human command and a detection
for the same device can never race.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from schemas.commands import AlarmCommand
from schemas.deadlines import Deadlines
from schemas.events import AlarmEvent, AlarmRaised, SeverityChanged
from schemas.families import Family, Severity
from streams.alarms.commands import apply_command
from streams.alarms.detections import apply_decisions, apply_follow_ups
from streams.alarms.escalation import apply_escalations, next_escalation
from streams.alarms.ids import reading_trigger
from streams.alarms.presence import came_online, went_offline
from streams.alarms.records import DeviceAlarms, DeviceContext, Trigger
from streams.errors import UnknownDevice
from streams.profiles import DeviceProfile
from streams.rules import discrete, interlock, offline, oxygen, tamper, threshold
from streams.rules.decisions import Decision, Sample
from streams.rules.interlock import InterlockState
from streams.rules.offline import OfflineState
from streams.rules.oxygen import OxygenState
from streams.rules.site import SiteInhibition, site_key
from streams.rules.tamper import FlatlineState
from streams.rules.threshold import ThresholdState

# DOMAIN section 3's limits, for callers that were not given the configured ones (tests, benches).
DOMAIN_DEADLINES = Deadlines()


class ReadingLike(Protocol):
    """The fields of `schemas.envelope.ReadingEnvelope` detection reads."""

    @property
    def device_id(self) -> str: ...
    @property
    def enterprise_id(self) -> str: ...
    @property
    def division(self) -> str: ...
    @property
    def family(self) -> Family: ...
    @property
    def channel(self) -> str: ...
    @property
    def ts(self) -> datetime: ...
    @property
    def seq(self) -> int | None: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...


class DeviceState(BaseModel):
    model_config = ConfigDict(frozen=True)

    enterprise_id: str | None = None
    division: str | None = None
    family: Family | None = None
    last_seq: int | None = None
    thresholds: dict[str, ThresholdState] = {}
    oxygen: OxygenState = OxygenState()
    flatline: dict[str, FlatlineState] = {}
    presence: OfflineState = OfflineState()
    # The deadline of an offline episode whose alarm waits for the site's verdict.
    offline_held: datetime | None = None
    # The deadline that started the current offline episode (it names the episode).
    offline_since: datetime | None = None
    offline_episodes: tuple[datetime, ...] = ()
    valve: InterlockState = InterlockState()
    alarms: DeviceAlarms = DeviceAlarms()

    def context(self, device_id: str) -> DeviceContext | None:
        if self.enterprise_id is None or self.division is None or self.family is None:
            return None
        return DeviceContext(device_id, self.enterprise_id, self.division, self.family)


@dataclass(slots=True)
class Outcome:
    """What one step produced besides the new state: events, and messages for other keys."""

    events: list[AlarmEvent] = field(default_factory=list)
    dropped: str | None = None  # "duplicate" | "out_of_order"
    interlock_demand: str | None = None  # the valve to ask for closure
    presence: bool | None = None  # True: came (back) online / first seen; False: went offline


def on_reading(
    state: DeviceState, reading: ReadingLike, profile: DeviceProfile
) -> tuple[DeviceState, Outcome]:
    if reading.seq is not None and state.last_seq is not None and reading.seq <= state.last_seq:
        reason = "duplicate" if reading.seq == state.last_seq else "out_of_order"
        return state, Outcome(dropped=reason)
    outcome = Outcome()
    first_seen = state.presence.last_seen is None
    episode = _episode_start(state, profile)
    presence, back = offline.on_seen(state.presence, reading.received_at)
    if first_seen or back:
        outcome.presence = True
    # Every change of the step goes into one copy of the state at the end: a copy per rule
    # was the largest cost of a reading after decoding it (py-spy, bench/streams).
    update, decisions = _detect(state, reading, profile)
    update.update(
        enterprise_id=reading.enterprise_id, division=reading.division, family=reading.family,
        last_seq=reading.seq if reading.seq is not None else state.last_seq,
        presence=presence, offline_since=None,
    )
    ctx = DeviceContext(
        reading.device_id, reading.enterprise_id, reading.division, reading.family
    )
    alarms = state.alarms
    if state.offline_held is not None:
        # Back before the site's verdict: the episode still gets its alarm, then its clearing.
        alarms, outcome.events = _raise_held(alarms, ctx, profile, state.offline_held)
        update["offline_held"] = None
    trigger = Trigger(
        reading_trigger(reading.device_id, reading.seq or 0), reading.ts, reading.received_at
    )
    if episode is not None:
        back_at = max(reading.received_at, episode)
        outcome.events.append(came_online(ctx, episode, back_at, trigger.trigger_id))
    found = [*back, *decisions]
    alarms, follow_ups = apply_follow_ups(alarms, ctx, found, trigger)
    alarms, events = apply_decisions(alarms, ctx, found, trigger)
    events = [*follow_ups, *events]
    outcome.events += events
    if profile.interlock_valve is not None and _gas_turned_red(events):
        outcome.interlock_demand = profile.interlock_valve
    update["alarms"] = alarms
    return state.model_copy(update=update), outcome


def _detect(
    state: DeviceState, reading: ReadingLike, profile: DeviceProfile
) -> tuple[dict[str, Any], list[Decision]]:
    """The value rules on one reading: the state's changed fields, and what they found."""
    payload = reading.payload
    decisions: list[Decision] = []
    update: dict[str, Any] = {}
    if reading.channel == "event":
        decisions += discrete.evaluate_event(reading.family, str(payload.get("event", "")))
    if "state" in payload and reading.family == Family.SHUTOFF:
        decisions += discrete.evaluate_valve_state(state.valve.valve_state, str(payload["state"]))
        update["valve"], cleared = interlock.on_valve_state(state.valve, str(payload["state"]))
        decisions += cleared
    numbers = _numbers(payload)
    if not numbers:
        return update, decisions
    thresholds, flatline = dict(state.thresholds), dict(state.flatline)
    for name, value in numbers.items():
        sample = Sample(reading.ts, value)
        rule = profile.thresholds.get(name)
        if rule is not None:
            current = thresholds.get(name, _NO_THRESHOLD)
            thresholds[name], found = threshold.evaluate(current, sample, rule)
            decisions += found
        if name == "concentration" and profile.oxygen is not None:
            update["oxygen"], found = oxygen.evaluate(
                update.get("oxygen", state.oxygen), sample, profile.oxygen
            )
            decisions += found
        current_flat = flatline.get(name, _NO_FLATLINE)
        flatline[name], found = tamper.evaluate_flatline(current_flat, sample, profile.tamper)
        decisions += found
    update["thresholds"], update["flatline"] = thresholds, flatline
    return update, decisions


_NO_THRESHOLD = ThresholdState()
_NO_FLATLINE = FlatlineState()


def _numbers(payload: Mapping[str, Any]) -> dict[str, float]:
    return {
        key: float(value)
        for key, value in payload.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


def _gas_turned_red(events: list[AlarmEvent]) -> bool:
    for event in events:
        if event.condition != "gas_level" or event.severity != Severity.RED:
            continue
        if isinstance(event, AlarmRaised | SeverityChanged):
            return True
    return False


def on_command(state: DeviceState, command: AlarmCommand) -> tuple[DeviceState, Outcome]:
    """Raises UnknownDevice for a device never seen (the agent dead-letters the command)."""
    ctx = state.context(command.device_id)
    if ctx is None:
        raise UnknownDevice(command.device_id)
    alarms, events = apply_command(state.alarms, ctx, command)
    return state.model_copy(update={"alarms": alarms}), Outcome(events=events)


def on_clock(
    state: DeviceState,
    device_id: str,
    now: datetime,
    profile: DeviceProfile,
    deadlines: Deadlines = DOMAIN_DEADLINES,
) -> tuple[DeviceState, Outcome]:
    """A timer tick: offline, interlock deadlines and escalations, all on the wall clock.

    Each finding is dated and named by its own deadline, not by `now`, so every tick (and
    every worker, after a rebalance) that notices it produces the same events.
    """
    ctx = state.context(device_id)
    if ctx is None:
        return state, Outcome()
    outcome = Outcome()
    held = state.offline_held
    if held is not None and now.timestamp() >= held.timestamp() + profile.offline.hold_limit_s:
        # No site verdict at all (the site aggregation is not answering): offline on its own.
        state, outcome.events = _release_held(state, ctx, profile)
    alarms = state.alarms
    deadline = offline.deadline(state.presence, profile.offline)
    presence, went = offline.on_tick(state.presence, now, profile.offline)
    episodes = state.offline_episodes
    since = state.offline_since
    if went and deadline is not None:
        outcome.presence, since = False, deadline
        last_seen = state.presence.last_seen or deadline
        outcome.events.append(
            went_offline(ctx, deadline, last_seen, profile.offline.offline_after_s)
        )
        episodes, flagged = tamper.evaluate_offline_episode(episodes, deadline, profile.tamper)
        if profile.offline.site_hold_s > 0:
            state, went = state.model_copy(update={"offline_held": deadline}), []
        trigger = Trigger(_offline_trigger(device_id, deadline), deadline)
        alarms, events = apply_decisions(alarms, ctx, [*went, *flagged], trigger)
        outcome.events += events
    due = interlock.next_deadline(state.valve)
    valve, failed = interlock.on_tick(state.valve, now, profile.interlock)
    if failed and due is not None:
        trigger = Trigger(f"interlock|{device_id}|{due.isoformat()}", due)
        alarms, events = apply_decisions(alarms, ctx, failed, trigger)
        outcome.events += events
    alarms, escalated = apply_escalations(alarms, ctx, now, deadlines)
    outcome.events += escalated
    state = state.model_copy(
        update={
            "presence": presence, "offline_episodes": episodes, "valve": valve, "alarms": alarms,
            "offline_since": since,
        }
    )
    return state, outcome


def _episode_start(state: DeviceState, profile: DeviceProfile) -> datetime | None:
    """The deadline that started the offline episode a reading now ends (None if online).
    A state saved before episodes were kept has none: its deadline is recomputed."""
    if not state.presence.offline:
        return None
    if state.offline_since is not None:
        return state.offline_since
    last_seen = state.presence.last_seen
    if last_seen is None:
        return None
    return last_seen + timedelta(seconds=profile.offline.offline_after_s)


def on_site_covered(
    state: DeviceState, device_id: str, profile: DeviceProfile
) -> tuple[DeviceState, Outcome]:
    """The site alarm stands for this device's held offline alarm: raise it inhibited.
    A device not holding one (it came back, or its hold ran out) has nothing to change."""
    ctx = state.context(device_id)
    if ctx is None or state.offline_held is None:
        return state, Outcome()
    inhibition = SiteInhibition(window_id=site_key(ctx.enterprise_id))
    state, events = _release_held(state, ctx, profile, inhibition)
    return state, Outcome(events=events)


def on_site_released(
    state: DeviceState, device_id: str, profile: DeviceProfile
) -> tuple[DeviceState, Outcome]:
    """Its siblings kept reporting while it waited: this device is offline on its own."""
    ctx = state.context(device_id)
    if ctx is None or state.offline_held is None:
        return state, Outcome()
    state, events = _release_held(state, ctx, profile)
    return state, Outcome(events=events)


def _release_held(
    state: DeviceState,
    ctx: DeviceContext,
    profile: DeviceProfile,
    inhibition: SiteInhibition | None = None,
) -> tuple[DeviceState, list[AlarmEvent]]:
    """Raises the held offline alarm, dated and named by its deadline as if never held."""
    held = state.offline_held
    if held is None:
        return state, []
    alarms, events = _raise_held(state.alarms, ctx, profile, held, inhibition)
    return state.model_copy(update={"alarms": alarms, "offline_held": None}), events


def _raise_held(
    alarms: DeviceAlarms,
    ctx: DeviceContext,
    profile: DeviceProfile,
    held: datetime,
    inhibition: SiteInhibition | None = None,
) -> tuple[DeviceAlarms, list[AlarmEvent]]:
    trigger = Trigger(_offline_trigger(ctx.device_id, held), held)
    decision = offline.detected(profile.offline)
    return apply_decisions(alarms, ctx, [decision], trigger, inhibition)


def _offline_trigger(device_id: str, deadline: datetime) -> str:
    return f"offline|{device_id}|{deadline.isoformat()}"


def on_interlock_demand(
    state: DeviceState, valve: DeviceContext, detector_id: str, at: datetime, profile: DeviceProfile
) -> DeviceState:
    """A detector at level 2 needs this valve closed; the valve may never have reported."""
    updated = interlock.on_demand(state.valve, detector_id, at, profile.interlock)
    return _with_context(state, valve).model_copy(update={"valve": updated})


def on_site_decision(
    state: DeviceState, site: DeviceContext, decision: Decision, trigger: Trigger
) -> tuple[DeviceState, Outcome]:
    """The site aggregation decided; the site's pseudo device owns the alarm's lifecycle."""
    state = _with_context(state, site)
    alarms, events = apply_decisions(state.alarms, site, [decision], trigger)
    return state.model_copy(update={"alarms": alarms}), Outcome(events=events)


def _with_context(state: DeviceState, ctx: DeviceContext) -> DeviceState:
    if state.context(ctx.device_id) is not None:
        return state
    return state.model_copy(
        update={"enterprise_id": ctx.enterprise_id, "division": ctx.division, "family": ctx.family}
    )


def next_deadline(
    state: DeviceState, profile: DeviceProfile, deadlines: Deadlines = DOMAIN_DEADLINES
) -> datetime | None:
    """The earliest moment a clock tick could change this device (for the timer's index)."""
    held = state.offline_held
    candidates = [
        offline.deadline(state.presence, profile.offline),
        None if held is None else held + timedelta(seconds=profile.offline.hold_limit_s),
        interlock.next_deadline(state.valve),
        *(next_escalation(record, deadlines) for record in state.alarms.alarms),
    ]
    return min((c for c in candidates if c is not None), default=None)
