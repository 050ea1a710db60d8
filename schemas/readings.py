"""What detectors send (DESIGN section 4): one payload model per family and channel.

Every message carries `ts` and `seq`; the rest depends on the family and the channel. Unknown
fields are refused (`extra="forbid"`): a vendor's typo (`concentraton`) must surface as a
rejection with the field named, not as a reading silently missing its value.

Validation is strict, as the exported JSON Schema is (DESIGN section 4: a number is a JSON
number): "12.5" is not a concentration, 1 is not `true`. JSON has one number type, and JSON
Schema calls a number with a zero fraction an integer, so `seq: 58.0` is the integer 58 here
as it is in every vendor's validator (tests/contracts/test_schema_gateway_agreement.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

from schemas.families import Channel, Family
from schemas.timestamps import DeviceTime


def _integral(value: object) -> object:
    """58.0 -> 58 (JSON Schema's integer); anything else goes on to the strict int check."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


Integer = Annotated[int, BeforeValidator(_integral)]
Seq = Annotated[int, Field(ge=0, le=2**63 - 1), BeforeValidator(_integral)]
Number = Annotated[float, Field(allow_inf_nan=False)]
# Strict: no text for numbers or booleans, no numbers for booleans (an int is a JSON number,
# so it is taken where a float is wanted).
_STRICT = ConfigDict(frozen=True, extra="forbid", strict=True)


class Message(BaseModel):
    model_config = _STRICT

    ts: DeviceTime
    seq: Seq


class GasTelemetry(Message):
    concentration: Number = Field(ge=0)
    unit: Literal["%LEL", "ppm", "mg/m3", "%VOL"]


class ShutoffTelemetry(Message):
    state: Literal["open", "closed", "fault"]
    commanded: Literal["open", "closed"] | None = None


class ElevatorTelemetry(Message):
    floor: Integer | None = None
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

    model_config = _STRICT

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


_STATUS_WORDS = (b"online", b"offline")


def parse_payload(family: Family, channel: Channel, obj: object) -> BaseModel:
    """Validate a decoded JSON value; raises pydantic.ValidationError naming the bad field."""
    if channel is Channel.STATUS and isinstance(obj, str):
        obj = {"status": obj}
    result: BaseModel = _ADAPTERS[(family, channel)].validate_python(obj)
    return result


def parse_payload_json(family: Family, channel: Channel, raw: bytes) -> BaseModel:
    """Validate the bytes of an MQTT payload straight into its model (one pass in
    pydantic-core, no intermediate dict); same verdicts as `parse_payload` of the decoded
    value. Raises pydantic.ValidationError; bad JSON is the error type `json_invalid`."""
    if channel is Channel.STATUS:
        # The Last Will may be the bare word, which is not JSON, or a JSON string: rare, so
        # through the decoded path.
        word = raw.strip()
        if word in _STATUS_WORDS:
            return parse_payload(family, channel, word.decode())
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # the adapter reports it as json_invalid
        else:
            return parse_payload(family, channel, obj)
    result: BaseModel = _ADAPTERS[(family, channel)].validate_json(raw)
    return result
