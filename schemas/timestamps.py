"""Device time: RFC 3339 text or epoch milliseconds on the wire, a UTC `datetime` inside."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

# Epoch values below this are seconds sent by mistake or garbage; above it, milliseconds.
# 1e11 ms is 1973-03-03: no device of ours reports from before that.
_MIN_EPOCH_MS = 100_000_000_000
_MAX_EPOCH_MS = 32_503_680_000_000  # year 3000


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
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError as exc:
            raise ValueError("ts must be RFC 3339, e.g. 2026-11-23T08:00:00+08:00") from exc
    else:
        raise ValueError("ts must be RFC 3339 text or epoch milliseconds")
    if parsed.tzinfo is None:
        raise ValueError("ts in RFC 3339 needs an offset (Z or +08:00)")
    return parsed.astimezone(UTC)


DeviceTime = Annotated[datetime, BeforeValidator(to_utc)]
