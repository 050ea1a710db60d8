"""Every topic the worker reads or writes, with the prefix applied, and their creation.

Internal topics and the faust app id take the test prefix too, so a test's cleanup (delete
every topic starting with its prefix) also removes the worker's changelogs and ticks.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from schemas.kafka_access import KafkaAccess
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
    # HW_KAFKA_REPLICATION: a cluster replicates every topic the worker creates, changelogs
    # and faust's assignor topic included, with min.insync.replicas=2.
    replication: int = 1

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
            replication=settings.kafka_replication,
        )

    def changelogs(self) -> list[str]:
        """faust's changelog topic of each table (`<app id>-<table>-changelog`)."""
        return [f"{self.app_id}-{table}-changelog" for table in TABLES]

    @property
    def assignor_topic(self) -> str:
        """faust's leader-election topic (faust.assignor.leader_assignor), one partition."""
        return f"{self.app_id}-__assignor-__leader"

    def replicated(self, configs: dict[str, str]) -> dict[str, str]:
        """`configs` plus min.insync.replicas=2 once the topic has more than one replica."""
        if self.replication > 1:
            return {**configs, "min.insync.replicas": str(min(2, self.replication))}
        return configs

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


def ensure_topics(kafka: KafkaAccess, topology: Topology) -> list[str]:
    """Create whichever of the worker's topics is missing (co-partitioned: same count)."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(**kafka.client_options(), client_id=f"{topology.app_id}-setup")
    try:
        existing = set(admin.list_topics())
        rf = topology.replication
        wanted = [
            NewTopic(name, topology.partitions, rf, topic_configs=topology.replicated(
                {"retention.ms": str(ms)}))
            for name, ms in topology.retention().items()
            if name not in existing
        ]
        # Created here, not left to faust: a second worker starting at the same moment would
        # otherwise see a changelog with no partitions yet and fail every table write.
        wanted += [
            NewTopic(name, topology.partitions, rf, topic_configs=topology.replicated(
                {"cleanup.policy": "compact"}))
            for name in topology.changelogs()
            if name not in existing
        ]
        # faust would create its assignor topic with its own replication factor (1 unless
        # the app sets topic_replication_factor); created here it has the cluster's.
        if rf > 1 and topology.assignor_topic not in existing:
            wanted.append(NewTopic(topology.assignor_topic, 1, rf,
                                   topic_configs=topology.replicated({})))
        if wanted:
            # Another worker starting at the same time may win the race; that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(wanted)
        return [topic.name for topic in wanted]
    finally:
        admin.close()
