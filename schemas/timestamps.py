"""Device time: RFC 3339 text or epoch milliseconds on the wire, a UTC `datetime` inside."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

# Epoch values below this are seconds sent by mistake or garbage; above it, milliseconds.
# 1e11 ms is 1973-03-03: no device of ours reports from before that.
_MIN_EPOCH_MS = 100_000_000_000
_MAX_EPOCH_MS = 32_503_680_000_000  # year 3000

# RFC 3339 section 5.6 date-time, as text: "T" (or "t") between date and time, seconds always,
# an offset always (Z or +hh:mm). Also the exported schema's `pattern` (schemas.jsonschema_export)
# so vendors' validators refuse what the gateway refuses: the ISO 8601 forms Python's
# fromisoformat also reads ("2026-11-23 08:00", "+0800", week dates) are not RFC 3339. A leap
# second (":60") is refused: Python's datetime cannot hold it. Plain ECMA-262 and Python syntax.
RFC3339 = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]+)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_RFC3339 = re.compile(RFC3339)


def to_utc(value: Any) -> datetime:
    """Parse `ts` (RFC 3339 with an offset, or epoch ms) into an aware UTC datetime."""
    if isinstance(value, bool):
        raise ValueError("ts must be RFC 3339 text or epoch milliseconds, not a boolean")
    if isinstance(value, int | float):
        if not _MIN_EPOCH_MS <= value <= _MAX_EPOCH_MS:
            raise ValueError("ts as a number must be epoch milliseconds (13 digits)")
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        if _RFC3339.fullmatch(value) is None:
            raise ValueError("ts must be RFC 3339, e.g. 2026-11-23T08:00:00+08:00")
        try:
            parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError as exc:  # a date that does not exist: 2026-02-30
            raise ValueError("ts must be RFC 3339, e.g. 2026-11-23T08:00:00+08:00") from exc
    else:
        raise ValueError("ts must be RFC 3339 text or epoch milliseconds")
    if parsed.tzinfo is None:
        raise ValueError("ts in RFC 3339 needs an offset (Z or +08:00)")
    return parsed.astimezone(UTC)


DeviceTime = Annotated[datetime, BeforeValidator(to_utc)]
