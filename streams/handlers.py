"""What the device agent does with each message, minus the I/O: decode, apply, collect.

The agent owns the table and the producer; this module turns one message and one device's
state into the new state and everything to send, so it can be tested and benchmarked without
Kafka.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import ValidationError

from schemas.commands import parse_command
from schemas.deadlines import Deadlines
from schemas.events import AlarmEvent
from schemas.families import Family
from streams import device
from streams.alarms.records import DeviceContext, Trigger
from streams.codec import decode_reading
from streams.device import DOMAIN_DEADLINES, DeviceState, Outcome
from streams.directory import StaticDirectory
from streams.errors import UndecodableMessage
from streams.messages import (
    ClockSweep,
    ClockTick,
    InterlockDemand,
    Presence,
    SiteCovered,
    SiteDecision,
    SiteVerdicts,
    encode,
    parse_tick,
)
from streams.rules import site
from streams.rules.decisions import Cleared, Decision, Detected


@dataclass(slots=True)
class Emission:
    """Everything one message leads to, besides the new state."""

    events: list[AlarmEvent] = field(default_factory=list)
    ticks: list[tuple[str, bytes]] = field(default_factory=list)  # (device key, value)
    presence: list[tuple[str, bytes]] = field(default_factory=list)  # (enterprise key, value)
    dropped: str | None = None
    family: Family | None = None
    received_at: datetime | None = None


class DeviceHandler:
    def __init__(
        self, directory: StaticDirectory, deadlines: Deadlines = DOMAIN_DEADLINES
    ) -> None:
        self.directory, self.deadlines = directory, deadlines

    def reading(self, topic: str, state: DeviceState, raw: bytes) -> tuple[DeviceState, Emission]:
        reading = decode_reading(topic, raw)
        profile = self.directory.profile(reading.device_id, reading.family)
        state, outcome = device.on_reading(state, reading, profile)
        emission = self._emission(state, reading.device_id, outcome)
        emission.family, emission.received_at = reading.family, reading.received_at
        if outcome.interlock_demand is not None:
            demand = InterlockDemand(
                device_id=outcome.interlock_demand, detector_id=reading.device_id,
                at=reading.received_at, enterprise_id=reading.enterprise_id,
                division=reading.division,
            )
            emission.ticks.append((demand.device_id, encode(demand)))
        return state, emission

    def command(self, topic: str, state: DeviceState, raw: bytes) -> tuple[DeviceState, Emission]:
        try:
            command = parse_command(raw)
        except ValidationError as exc:
            raise UndecodableMessage(topic, str(exc)) from exc
        state, outcome = device.on_command(state, command)
        return state, Emission(events=outcome.events)

    def tick(self, topic: str, state: DeviceState, raw: bytes) -> tuple[DeviceState, Emission]:
        try:
            tick = parse_tick(raw)
        except ValidationError as exc:
            raise UndecodableMessage(topic, str(exc)) from exc
        if isinstance(tick, ClockTick):
            return self.clock(tick, state)
        if isinstance(tick, ClockSweep | SiteVerdicts):
            raise UndecodableMessage(topic, f"a {tick.kind} names a partition, not a device")
        if isinstance(tick, InterlockDemand):
            valve = DeviceContext(tick.device_id, tick.enterprise_id, tick.division, Family.SHUTOFF)
            profile = self.directory.profile(tick.device_id, Family.SHUTOFF)
            return device.on_interlock_demand(state, valve, tick.detector_id, tick.at, profile), (
                Emission()
            )
        if isinstance(tick, SiteCovered):
            profile = self.directory.profile(tick.device_id, state.family or Family.GAS)
            state, outcome = device.on_site_covered(state, tick.device_id, profile)
            return state, Emission(events=outcome.events)
        return self._site(state, tick)

    def clock(self, tick: ClockTick, state: DeviceState) -> tuple[DeviceState, Emission]:
        """The clock for one device (a sweep applies it to each device due, unencoded)."""
        profile = self.directory.profile(tick.device_id, state.family or Family.GAS)
        state, outcome = device.on_clock(state, tick.device_id, tick.now, profile, self.deadlines)
        return state, self._emission(state, tick.device_id, outcome)

    def verdict(
        self, device_id: str, covered: bool, state: DeviceState
    ) -> tuple[DeviceState, Emission]:
        """The site's verdict on this device's held offline alarm (a `SiteVerdicts` entry)."""
        profile = self.directory.profile(device_id, state.family or Family.GAS)
        if covered:
            state, outcome = device.on_site_covered(state, device_id, profile)
        else:
            state, outcome = device.on_site_released(state, device_id, profile)
        return state, Emission(events=outcome.events)

    def _site(self, state: DeviceState, tick: SiteDecision) -> tuple[DeviceState, Emission]:
        site = DeviceContext(tick.device_id, tick.enterprise_id, tick.division, tick.family)
        decision: Decision
        if tick.raised and tick.severity is not None:
            decision = Detected("site_offline", tick.severity, tick.value, tick.threshold,
                                tick.message)
        else:
            decision = Cleared("site_offline", tick.value)
        state, outcome = device.on_site_decision(
            state, site, decision, Trigger(tick.trigger_id, tick.at)
        )
        return state, Emission(events=outcome.events)

    def _emission(self, state: DeviceState, device_id: str, outcome: Outcome) -> Emission:
        emission = Emission(events=outcome.events, dropped=outcome.dropped)
        ctx = state.context(device_id)
        last_seen = state.presence.last_seen
        if outcome.presence is not None and ctx is not None and last_seen is not None:
            cause = outcome.events[0].event_id if outcome.events else f"{device_id}|first"
            presence = Presence(
                enterprise_id=ctx.enterprise_id, division=ctx.division, family=ctx.family,
                device_id=device_id, online=outcome.presence,
                at=last_seen, cause_id=cause,
                held=None if outcome.presence else state.offline_held,
            )
            emission.presence.append((ctx.enterprise_id, encode(presence)))
        return emission


@dataclass(slots=True)
class SiteOutput:
    """What the site aggregation decided on one message."""

    ticks: list[tuple[str, bytes]] = field(default_factory=list)  # site decisions (site key)
    covered: list[tuple[str, str]] = field(default_factory=list)  # (device id, enterprise id)
    released: list[tuple[str, str]] = field(default_factory=list)


class SiteHandler:
    """The per-enterprise aggregation behind site-offline alarms (key = enterprise id)."""

    def __init__(self, directory: StaticDirectory, rule: site.SiteRule | None = None) -> None:
        self.directory = directory
        self.rule = rule or site.SiteRule()

    def presence(
        self, topic: str, state: site.SiteState, raw: bytes
    ) -> tuple[site.SiteState, SiteOutput]:
        try:
            presence = Presence.model_validate_json(raw)
        except ValidationError as exc:
            raise UndecodableMessage(topic, str(exc)) from exc
        return self.apply(state, presence)

    def apply(
        self, state: site.SiteState, presence: Presence
    ) -> tuple[site.SiteState, SiteOutput]:
        registered = self.directory.devices_of(presence.enterprise_id)
        before = state
        hold_until = None
        if presence.held is not None:
            hold_until = presence.held + timedelta(seconds=self.directory.site_hold_s)
        state, decisions = site.on_presence(
            state, presence.device_id, presence.online, registered, self.rule, hold_until
        )
        key = site.site_key(presence.enterprise_id)
        out = SiteOutput()
        for decision in decisions:
            tick = SiteDecision(
                device_id=key, enterprise_id=presence.enterprise_id, division=presence.division,
                family=presence.family, trigger_id=f"site|{presence.cause_id}", at=presence.at,
                raised=isinstance(decision, Detected),
                severity=decision.severity if isinstance(decision, Detected) else None,
                value=decision.value,
                threshold=decision.threshold if isinstance(decision, Detected) else None,
                message=decision.message if isinstance(decision, Detected) else "",
            )
            out.ticks.append((key, encode(tick)))
        enterprise = presence.enterprise_id
        for device_id in site.covered(before, state, presence.device_id, presence.online):
            out.covered.append((device_id, enterprise))
        return state, out

    def clock(
        self, enterprise_id: str, state: site.SiteState, now: datetime
    ) -> tuple[site.SiteState, SiteOutput]:
        """The site's clock: held alarms whose wait for their siblings ended are released."""
        state, due = site.release_due(state, now)
        return state, SiteOutput(released=[(device, enterprise_id) for device in due])
