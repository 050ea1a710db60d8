"""What the routes need, wired once in `alerts.bootstrap` and reached through `app.state`."""

from __future__ import annotations

from dataclasses import dataclass, field

from alerts.commands import CommandBus
from alerts.console.config import ConsoleConfig
from alerts.feed.hub import Hub
from alerts.metrics import AlertsMetrics
from alerts.notify.consumer import NotificationConsumer
from schemas.kafka_access import KafkaAccess
from schemas.topics import TopicNames
from storage.datastore import Datastore
from storage.report_cache import ReportCache


@dataclass
class Services:
    store: Datastore
    bus: CommandBus
    hub: Hub
    metrics: AlertsMetrics
    token_secret: str
    topics: TopicNames
    kafka: KafkaAccess
    heartbeat_s: float = 15.0
    notifications: NotificationConsumer | None = None
    console: ConsoleConfig | None = None
    # Report figures computed once per change of their period (storage/report_cache.py).
    reports: ReportCache = field(default_factory=ReportCache)
