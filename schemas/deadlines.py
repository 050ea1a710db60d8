"""Time limits for handling an alarm, per severity (DOMAIN section 3), as settings.

The stream worker escalates on them and the alerts service counts down to them, so both read
the same model: `Deadlines.from_env()` once at the entrypoint, passed down as an argument.
`Deadlines()` alone is the DOMAIN defaults and reads nothing (pure code and unit tests).

Environment (seconds): `HW_DEADLINE_{RED,ORANGE,YELLOW,BLUE}_{ACK,RESOLVE}_S`. Blue alarms are
informational and never escalate unless both of their limits are set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.families import Severity

Seconds = float | None
ENV_PREFIX = "HW_DEADLINE_"


class Deadlines(BaseModel):
    """(acknowledge within, resolve within) per severity, counted from the raise."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    red_ack_s: Seconds = Field(default=5 * 60, gt=0)
    red_resolve_s: Seconds = Field(default=2 * 3600, gt=0)
    orange_ack_s: Seconds = Field(default=15 * 60, gt=0)
    orange_resolve_s: Seconds = Field(default=24 * 3600, gt=0)
    yellow_ack_s: Seconds = Field(default=3600, gt=0)
    yellow_resolve_s: Seconds = Field(default=72 * 3600, gt=0)
    blue_ack_s: Seconds = Field(default=None, gt=0)
    blue_resolve_s: Seconds = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _paired(self) -> Deadlines:
        # A severity with one limit only, or a resolve limit before the acknowledge limit,
        # is a typo in the environment: refuse it at startup rather than escalate oddly.
        for severity in Severity:
            ack, resolve = self._pair(severity)
            if (ack is None) != (resolve is None):
                raise ValueError(f"set both or neither of the {severity.value} deadlines")
            if ack is not None and resolve is not None and resolve < ack:
                raise ValueError(f"the {severity.value} resolve deadline precedes its ack deadline")
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Deadlines:
        """Reads `HW_DEADLINE_*` from `environ` (the process environment when None); an
        empty value means "never" for that limit. Raises pydantic.ValidationError."""
        source = os.environ if environ is None else environ
        values: dict[str, str | None] = {}
        for name in cls.model_fields:
            raw = source.get(f"{ENV_PREFIX}{name.upper()}")
            if raw is not None:
                values[name] = raw.strip() or None
        return cls.model_validate(values)

    def for_severity(self, severity: Severity) -> tuple[timedelta, timedelta] | None:
        """(acknowledge within, resolve within), or None when this severity never escalates."""
        ack, resolve = self._pair(severity)
        if ack is None or resolve is None:
            return None
        return timedelta(seconds=ack), timedelta(seconds=resolve)

    def _pair(self, severity: Severity) -> tuple[Seconds, Seconds]:
        name = severity.value
        return getattr(self, f"{name}_ack_s"), getattr(self, f"{name}_resolve_s")

