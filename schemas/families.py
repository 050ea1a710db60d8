"""The closed vocabularies every contract shares: device families, MQTT channels, severities
(the Chinese four-level warning colours) and enterprise industries."""

from __future__ import annotations

from enum import StrEnum


class Family(StrEnum):
    GAS = "gas"
    SHUTOFF = "shutoff"
    ELEVATOR = "elevator"
    FIRE = "fire"


class Channel(StrEnum):
    TELEMETRY = "telemetry"
    EVENT = "event"
    HEARTBEAT = "heartbeat"
    STATUS = "status"


class Severity(StrEnum):
    """red (I, 特别严重) > orange (II) > yellow (III) > blue (IV, informational)."""

    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    BLUE = "blue"

    @property
    def rank(self) -> int:
        """1 for red ... 4 for blue: a lower rank is more severe."""
        return _RANK[self]


_RANK = {Severity.RED: 1, Severity.ORANGE: 2, Severity.YELLOW: 3, Severity.BLUE: 4}


class Industry(StrEnum):
    CHEMICAL = "chemical"
    GAS_SUPPLY = "gas_supply"
    CATERING = "catering"
    RESIDENTIAL = "residential"
    MANUFACTURING = "manufacturing"
    PUBLIC_VENUE = "public_venue"
    OTHER = "other"
