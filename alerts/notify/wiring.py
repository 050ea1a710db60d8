"""Wires the notifications from the settings (called by `alerts.bootstrap._notifications`).

What a deployment sets (all `HW_` variables):
- `NOTIFY_CONTACTS`: the contacts YAML (`alerts/notify/contacts_file.py`); re-read when it
  changes; a file with errors is refused whole (every error logged as file:line: reason) and
  the contacts loaded before stay in force.
- `NOTIFY_WEBHOOK_URL` + `NOTIFY_WEBHOOK_SECRET`: a machine webhook told of everything.
- `NOTIFY_LOG=true`: every audience also gets the log channel (development, the demo).
- `NOTIFY_SMS_URL`, `NOTIFY_SMS_TOKEN`, `NOTIFY_SMS_TEMPLATE`, `NOTIFY_SMS_SIGN_NAME`: the SMS
  gateway and the approved template it sends.
- `CONSOLE_URL` (default `API_URL`): the console the links in messages lead to.
- `NOTIFY_REMIND_{RED,ORANGE,YELLOW,BLUE}_S`, `NOTIFY_FLAP_WINDOW_S`, `NOTIFY_FLAP_LIMIT`,
  `NOTIFY_ATTEMPTS`, `NOTIFY_BACKOFF_S`, `NOTIFY_TICK_S`: reminders, flapping, retries.
Without contacts, a webhook or the log channel nothing is notified and this returns None.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import httpx
from pydantic import SecretStr

from alerts.metrics import AlertsMetrics
from alerts.notify.channels.dingtalk import DingTalkChannel
from alerts.notify.channels.feishu import FeishuChannel
from alerts.notify.channels.log import LogChannel
from alerts.notify.channels.sms import SmsChannel
from alerts.notify.channels.webhook import WebhookChannel
from alerts.notify.channels.wecom import WeComChannel
from alerts.notify.config import NotifyConfig, RetryPolicy
from alerts.notify.consumer import NotificationConsumer
from alerts.notify.contacts import Contact, Directory
from alerts.notify.contacts_file import ContactsFileInvalid, load
from alerts.notify.delivery import Deliverer
from alerts.notify.dispatcher import Dispatcher
from alerts.notify.facts import RegistryFacts
from alerts.notify.port import Channel
from alerts.notify.ticker import Ticker
from alerts.routing import RoutingTable, load_table
from alerts.settings import AlertsSettings
from storage.datastore import Datastore

log = logging.getLogger(__name__)


def config_of(settings: AlertsSettings) -> NotifyConfig:
    base = NotifyConfig(console_url=settings.console_url or settings.api_url)
    retry = {
        name: RetryPolicy(
            attempts=settings.notify_attempts or policy.attempts,
            backoff_s=settings.notify_backoff_s or policy.backoff_s,
            max_backoff_s=policy.max_backoff_s,
        )
        for name, policy in base.retry.items()
    }
    return dataclasses.replace(
        base,
        remind_s={
            "red": settings.notify_remind_red_s,
            "orange": settings.notify_remind_orange_s,
            "yellow": settings.notify_remind_yellow_s,
            "blue": settings.notify_remind_blue_s,
        },
        flap_window_s=settings.notify_flap_window_s,
        flap_limit=settings.notify_flap_limit,
        retry=retry,
        tick_s=settings.notify_tick_s,
    )


def everyone(settings: AlertsSettings) -> tuple[Contact, ...]:
    contacts = []
    if settings.notify_webhook_url:
        contacts.append(
            Contact(
                name="webhook",
                channel="webhook",
                url=SecretStr(settings.notify_webhook_url),
                secret=settings.notify_webhook_secret,
            )
        )
    if settings.notify_log:
        contacts.append(Contact(name="log", channel="log"))
    return tuple(contacts)


def channels(settings: AlertsSettings, client: httpx.Client) -> dict[str, Channel]:
    sms = SmsChannel(
        client,
        settings.notify_sms_url,
        settings.notify_sms_token.get_secret_value(),
        settings.notify_sms_template,
        settings.notify_sms_sign_name,
    )
    made: list[Channel] = [
        WebhookChannel(client),
        WeComChannel(client),
        DingTalkChannel(client),
        FeishuChannel(client),
        sms,
        LogChannel(),
    ]
    return {channel.name: channel for channel in made}


class ContactsWatcher:
    """Re-reads the contacts file when its mtime or size changes; a bad file changes nothing."""

    def __init__(self, path: Path, table: RoutingTable, directory: Directory) -> None:
        self._path, self._table, self._directory = path, table, directory
        self._seen = self._stamp()

    def _stamp(self) -> tuple[float, int]:
        try:
            stat = self._path.stat()
        except OSError:
            return (0.0, -1)
        return (stat.st_mtime, stat.st_size)

    def __call__(self) -> None:
        stamp = self._stamp()
        if stamp == self._seen:
            return
        self._seen = stamp
        try:
            parsed = load(self._path, self._table)
        except ContactsFileInvalid as exc:
            log.error("contacts file refused, the previous contacts stay:\n%s", exc)
            return
        self._directory.replace(parsed.offices)
        log.info("contacts reloaded: %d offices", len(parsed.offices))


def build_notifications(
    settings: AlertsSettings, store: Datastore, metrics: AlertsMetrics
) -> NotificationConsumer | None:
    """Raises ContactsFileInvalid (every error listed) when the contacts file is wrong."""
    table = load_table()
    offices = load(settings.notify_contacts, table).offices if settings.notify_contacts else ()
    directory = Directory(offices, everyone(settings))
    if not offices and not directory.has_everyone():
        return None
    config = config_of(settings)
    # httpx logs every request's URL at INFO, and a robot's URL carries its access key.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    client = httpx.Client(timeout=5.0)
    deliverer = Deliverer(store, directory, channels(settings, client), config, metrics)
    watch = (
        ContactsWatcher(Path(settings.notify_contacts), table, directory)
        if settings.notify_contacts
        else None
    )
    ticker = Ticker(store, directory, deliverer, config, watch=watch)
    dispatcher = Dispatcher(table, RegistryFacts(store), directory, store, config, metrics)
    return NotificationConsumer(
        settings.kafka,
        settings.topics.alarm_events,
        settings.notify_group_id,
        dispatcher,
        ticker,
    )
