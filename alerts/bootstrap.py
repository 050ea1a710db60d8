"""The composition root of the alerts service: settings in, a wired application out."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import CollectorRegistry

from alerts.accounts.throttle import ThrottlePolicy
from alerts.commands import KafkaCommandBus
from alerts.console.config import ConsoleConfig
from alerts.feed.hub import Hub
from alerts.metrics import AlertsMetrics
from alerts.notify.consumer import NotificationConsumer
from alerts.notify.wiring import build_notifications
from alerts.services import Services
from alerts.settings import AlertsSettings
from schemas.deadlines import Deadlines
from storage.accounts import AccountRepository
from storage.datastore import Datastore


def build(settings: AlertsSettings) -> Services:
    metrics = AlertsMetrics(CollectorRegistry())
    topics = settings.topics
    hub = Hub(
        settings.kafka,
        topics.alarm_events,
        settings.sse_queue_size,
        on_drop=metrics.dropped_clients.inc,
    )
    store = Datastore(settings.database_url.get_secret_value(), max_size=8)
    return Services(
        store=store,
        bus=KafkaCommandBus(settings.kafka, topics.alarm_commands),
        hub=hub,
        metrics=metrics,
        token_secret=settings.api_token_secret.get_secret_value(),
        topics=topics,
        kafka=settings.kafka,
        heartbeat_s=settings.sse_heartbeat_s,
        notifications=_notifications(settings, store, metrics),
        console=_console(settings, store),
    )


def _console(settings: AlertsSettings, store: Datastore) -> ConsoleConfig:
    return ConsoleConfig(
        accounts=AccountRepository(store),
        session_idle=timedelta(seconds=settings.console_session_idle_s),
        throttle=ThrottlePolicy(
            window_s=settings.console_login_window_s,
            delay_s=settings.console_login_delay_s,
            max_delay_s=4 * settings.console_login_delay_s,
            refuse_after=settings.console_login_refuse_after,
        ),
        deadlines=Deadlines.from_env(),
        secure_cookies=settings.api_url.startswith("https://"),
    )


def _notifications(
    settings: AlertsSettings, store: Datastore, metrics: AlertsMetrics
) -> NotificationConsumer | None:
    return build_notifications(settings, store, metrics)
