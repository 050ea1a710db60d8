"""The composition root of the alerts service: settings in, a wired application out."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from alerts.commands import KafkaCommandBus
from alerts.feed.hub import Hub
from alerts.metrics import AlertsMetrics
from alerts.notify.consumer import NotificationConsumer
from alerts.notify.wiring import build_notifications
from alerts.services import Services
from alerts.settings import AlertsSettings
from storage.datastore import Datastore


def build(settings: AlertsSettings) -> Services:
    metrics = AlertsMetrics(CollectorRegistry())
    topics = settings.topics
    hub = Hub(
        settings.kafka_bootstrap,
        topics.alarm_events,
        settings.sse_queue_size,
        on_drop=metrics.dropped_clients.inc,
    )
    store = Datastore(settings.database_url.get_secret_value(), max_size=8)
    return Services(
        store=store,
        bus=KafkaCommandBus(settings.kafka_bootstrap, topics.alarm_commands),
        hub=hub,
        metrics=metrics,
        token_secret=settings.api_token_secret.get_secret_value(),
        topics=topics,
        kafka_bootstrap=settings.kafka_bootstrap,
        heartbeat_s=settings.sse_heartbeat_s,
        notifications=_notifications(settings, store, metrics),
    )


def _notifications(
    settings: AlertsSettings, store: Datastore, metrics: AlertsMetrics
) -> NotificationConsumer | None:
    return build_notifications(settings, store, metrics)
