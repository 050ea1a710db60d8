"""What the routes need, wired once in `alerts.bootstrap` and reached through `app.state`."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.commands import CommandBus
from alerts.console.config import ConsoleConfig
from alerts.feed.hub import Hub
from alerts.metrics import AlertsMetrics
from alerts.notify.consumer import NotificationConsumer
from schemas.topics import TopicNames
from storage.datastore import Datastore


@dataclass
class Services:
    store: Datastore
    bus: CommandBus
    hub: Hub
    metrics: AlertsMetrics
    token_secret: str
    topics: TopicNames
    kafka_bootstrap: str
    heartbeat_s: float = 15.0
    notifications: NotificationConsumer | None = None
    console: ConsoleConfig | None = None
