"""What detectors send (DESIGN section 4): one payload model per family and channel.

Every message carries `ts` and `seq`; the rest depends on the family and the channel. Unknown
fields are refused (`extra="forbid"`): a vendor's typo (`concentraton`) must surface as a
rejection with the field named, not as a reading silently missing its value.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from schemas.families import Channel, Family
from schemas.timestamps import DeviceTime

Seq = Annotated[int, Field(ge=0, le=2**63 - 1, strict=True)]
Number = Annotated[float, Field(allow_inf_nan=False)]


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ts: DeviceTime
    seq: Seq


class GasTelemetry(Message):
    concentration: Number = Field(ge=0)
    unit: Literal["%LEL", "ppm", "mg/m3", "%VOL"]


class ShutoffTelemetry(Message):
    state: Literal["open", "closed", "fault"]
    commanded: Literal["open", "closed"] | None = None


class ElevatorTelemetry(Message):
    floor: int | None = None
    moving: bool | None = None
    direction: Literal["up", "down", "idle"] | None = None
    door_open: bool | None = None
    load_pct: Number | None = Field(default=None, ge=0, le=200)


class FireTelemetry(Message):
    residual_current_ma: Number | None = Field(default=None, ge=0)
    temperature_c: Number | None = Field(default=None, ge=-50, le=1000)


class Heartbeat(Message):
    pass


GAS_EVENTS = Literal["fault", "out_of_range", "calibration_due", "recovered", "power_low"]
SHUTOFF_EVENTS = Literal["valve_closed", "valve_opened", "fault", "recovered"]
ELEVATOR_EVENTS = Literal[
    "trapped",
    "door_open_while_moving",
    "over_travel_top",
    "over_travel_bottom",
    "stop_outside_door_zone",
    "safety_circuit_open",
    "overspeed",
    "ebike_detected",
    "fault",
    "recovered",
    "rescued",
]
FIRE_EVENTS = Literal["fire_alarm", "fault", "shielded", "recovered", "reset", "smoke_alarm"]


class GasEvent(Message):
    event: GAS_EVENTS


class ShutoffEvent(Message):
    event: SHUTOFF_EVENTS


class ElevatorEvent(Message):
    event: ELEVATOR_EVENTS


class FireEvent(Message):
    event: FIRE_EVENTS


class Status(BaseModel):
    """The retained Last Will: `online`/`offline`, as JSON or as the bare word."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Literal["online", "offline"]
    ts: DeviceTime | None = None
    seq: Seq | None = None


MODELS: dict[tuple[Family, Channel], type[BaseModel]] = {
    (Family.GAS, Channel.TELEMETRY): GasTelemetry,
    (Family.SHUTOFF, Channel.TELEMETRY): ShutoffTelemetry,
    (Family.ELEVATOR, Channel.TELEMETRY): ElevatorTelemetry,
    (Family.FIRE, Channel.TELEMETRY): FireTelemetry,
    (Family.GAS, Channel.EVENT): GasEvent,
    (Family.SHUTOFF, Channel.EVENT): ShutoffEvent,
    (Family.ELEVATOR, Channel.EVENT): ElevatorEvent,
    (Family.FIRE, Channel.EVENT): FireEvent,
    **{(family, Channel.HEARTBEAT): Heartbeat for family in Family},
    **{(family, Channel.STATUS): Status for family in Family},
}

_ADAPTERS: dict[tuple[Family, Channel], TypeAdapter[Any]] = {
    key: TypeAdapter(model) for key, model in MODELS.items()
}


def parse_payload(family: Family, channel: Channel, obj: object) -> BaseModel:
    """Validate a decoded JSON value; raises pydantic.ValidationError naming the bad field."""
    if channel is Channel.STATUS and isinstance(obj, str):
        obj = {"status": obj}
    result: BaseModel = _ADAPTERS[(family, channel)].validate_python(obj)
    return result
