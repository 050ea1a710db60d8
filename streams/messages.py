"""Messages on the worker's internal topics (never read outside streams/).

`ticks` (key = device id, co-partitioned with readings and commands) carries what must be
applied by a device key's single writer but was noticed elsewhere: a timer found deadlines
(one sweep per partition),
a gas detector needs its valve closed, the site aggregation decided (for the site's pseudo
device, and for each device its site alarm now stands for). `presence` (key =
enterprise id) carries device online/offline transitions to the site aggregation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from schemas.families import Family, Severity


class _Internal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClockTick(_Internal):
    kind: Literal["clock"] = "clock"
    device_id: str
    now: datetime


class ClockSweep(_Internal):
    """The timer found devices due in this partition: the agent applies the clock to each.

    One message per partition and timer run, however many devices are due, so a county-wide
    outage costs the producer a dozen messages, not one per silent device. Sent to the
    partition itself (key `SWEEP_KEY`, never a device id)."""

    kind: Literal["sweep"] = "sweep"
    partition: int
    now: datetime


SWEEP_KEY = b"\x00sweep"


class InterlockDemand(_Internal):
    kind: Literal["interlock_demand"] = "interlock_demand"
    device_id: str  # the valve
    detector_id: str
    at: datetime
    enterprise_id: str
    division: str


class SiteDecision(_Internal):
    kind: Literal["site"] = "site"
    device_id: str  # the site's pseudo device, streams.rules.site.site_key(enterprise)
    enterprise_id: str
    division: str
    family: Family
    trigger_id: str
    at: datetime
    raised: bool
    severity: Severity | None = None
    value: float | None = None
    threshold: float | None = None
    message: str = ""


class SiteCovered(_Internal):
    """The site aggregation raised the site alarm while this device was offline."""

    kind: Literal["site_covered"] = "site_covered"
    device_id: str
    enterprise_id: str


class SiteVerdicts(_Internal):
    """The site aggregation's verdicts on held offline alarms, for one device partition at
    once (key `VERDICTS_KEY`, sent to that partition): `covered` devices' alarms are raised
    inhibited by their site alarm, `released` ones plainly (their site is not all offline).
    One message per partition and site batch, not one per device: a county-wide outage
    would otherwise send the device agents one tick per silent device."""

    kind: Literal["site_verdicts"] = "site_verdicts"
    partition: int
    covered: list[tuple[str, str]] = []  # (device id, enterprise id)
    released: list[tuple[str, str]] = []


VERDICTS_KEY = b"\x00verdicts"

Tick = Annotated[
    ClockTick | ClockSweep | InterlockDemand | SiteDecision | SiteCovered | SiteVerdicts,
    Field(discriminator="kind"),
]
_TICK = TypeAdapter[Tick](Tick)


class Presence(_Internal):
    enterprise_id: str
    division: str
    family: Family
    device_id: str
    online: bool
    at: datetime
    # Names the transition that caused this message: makes the site decision's ids stable.
    cause_id: str
    # Going offline with its alarm held for the site's verdict: the episode's deadline.
    held: datetime | None = None


class PresenceBatch(_Internal):
    """A device batch's presence transitions for the enterprises of one presence partition
    (key `PRESENCE_BATCH_KEY`, sent to that partition), in the order they happened: the site
    agent then takes one message per partition and batch instead of one per device, which
    in a county-wide outage was most of the site verdict's delay."""

    partition: int
    items: list[Presence]


PRESENCE_BATCH_KEY = b"\x00presence"


class SiteClock(_Internal):
    """The timer's clock for the site aggregation of one presence partition (key
    `SITE_CLOCK_KEY`, sent to that partition): held alarms whose wait for their siblings
    ended by `now` are released. `now` never runs ahead of the worker's own device sweeps
    (`DeviceProcessor.swept_until`), so a sibling not yet swept behind a backlog is never
    taken for one that is still reporting."""

    kind: Literal["site_clock"] = "site_clock"
    partition: int
    now: datetime


SITE_CLOCK_KEY = b"\x00site-clock"


def parse_tick(raw: bytes) -> Tick:
    return _TICK.validate_json(raw)


def encode(message: BaseModel) -> bytes:
    return message.model_dump_json().encode()
