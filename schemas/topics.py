"""Kafka topic names (DESIGN section 5). Every topic is keyed by `device_id`."""

from __future__ import annotations

from dataclasses import dataclass

READINGS = "hw.readings.v1"
REJECTED = "hw.rejected.v1"
ALARM_COMMANDS = "hw.alarm-commands.v1"
ALARM_EVENTS = "hw.alarm-events.v1"

DEFAULT_PARTITIONS = 12

_DAY_MS = 24 * 3600 * 1000
# retention.ms per topic; -1 keeps the event log forever (it is the source of truth).
RETENTION_MS: dict[str, int] = {
    READINGS: 7 * _DAY_MS,
    REJECTED: 30 * _DAY_MS,
    ALARM_COMMANDS: 30 * _DAY_MS,
    ALARM_EVENTS: -1,
}


@dataclass(frozen=True)
class TopicNames:
    """The public topic names, optionally behind a prefix.

    Production uses no prefix. Tests give each test its own prefix so that they share one
    Kafka without seeing each other's messages.
    """

    prefix: str = ""

    @property
    def readings(self) -> str:
        return self.prefix + READINGS

    @property
    def rejected(self) -> str:
        return self.prefix + REJECTED

    @property
    def alarm_commands(self) -> str:
        return self.prefix + ALARM_COMMANDS

    @property
    def alarm_events(self) -> str:
        return self.prefix + ALARM_EVENTS

    def all(self) -> dict[str, int]:
        """Every public topic with its retention.ms."""
        return {self.prefix + name: ms for name, ms in RETENTION_MS.items()}
