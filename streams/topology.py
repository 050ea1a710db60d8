"""Every topic the worker reads or writes, with the prefix applied, and their creation.

Internal topics and the faust app id take the test prefix too, so a test's cleanup (delete
every topic starting with its prefix) also removes the worker's changelogs and ticks.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from schemas.topics import ALARM_COMMANDS, ALARM_EVENTS, READINGS, REJECTED, RETENTION_MS
from streams.settings import StreamsSettings

TICKS = "hw.streams-ticks.v1"
PRESENCE = "hw.streams-presence.v1"
_INTERNAL_RETENTION_MS = 24 * 3600 * 1000
TABLES = ("device-state", "site-state")


@dataclass(frozen=True, slots=True)
class Topology:
    app_id: str
    readings: str
    commands: str
    events: str
    rejected: str
    ticks: str
    presence: str
    partitions: int

    @classmethod
    def of(cls, settings: StreamsSettings) -> Topology:
        names, prefix = settings.topics, settings.topic_prefix
        return cls(
            app_id=prefix + settings.streams_app_id,
            readings=names.readings,
            commands=names.alarm_commands,
            events=names.alarm_events,
            rejected=names.rejected,
            ticks=prefix + TICKS,
            presence=prefix + PRESENCE,
            partitions=settings.streams_partitions,
        )

    def changelogs(self) -> list[str]:
        """faust's changelog topic of each table (`<app id>-<table>-changelog`)."""
        return [f"{self.app_id}-{table}-changelog" for table in TABLES]

    def retention(self) -> dict[str, int]:
        """retention.ms of every topic the worker touches (its changelogs are faust's own)."""
        return {
            self.readings: RETENTION_MS[READINGS],
            self.rejected: RETENTION_MS[REJECTED],
            self.commands: RETENTION_MS[ALARM_COMMANDS],
            self.events: RETENTION_MS[ALARM_EVENTS],
            self.ticks: _INTERNAL_RETENTION_MS,
            self.presence: _INTERNAL_RETENTION_MS,
        }


def ensure_topics(bootstrap: str, topology: Topology) -> list[str]:
    """Create whichever of the worker's topics is missing (co-partitioned: same count)."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id=f"{topology.app_id}-setup")
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(name, topology.partitions, 1, topic_configs={"retention.ms": str(ms)})
            for name, ms in topology.retention().items()
            if name not in existing
        ]
        # Created here, not left to faust: a second worker starting at the same moment would
        # otherwise see a changelog with no partitions yet and fail every table write.
        wanted += [
            NewTopic(name, topology.partitions, 1, topic_configs={"cleanup.policy": "compact"})
            for name in topology.changelogs()
            if name not in existing
        ]
        if wanted:
            # Another worker starting at the same time may win the race; that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(wanted)
        return [topic.name for topic in wanted]
    finally:
        admin.close()
