"""Builders shared by the notification tests: events, messages, deliveries and a wired set of
notification parts (dispatcher, deliverer, ticker) on a test database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
from prometheus_client import CollectorRegistry

from alerts.metrics import AlertsMetrics
from alerts.notify.channels.dingtalk import DingTalkChannel
from alerts.notify.channels.feishu import FeishuChannel
from alerts.notify.channels.log import LogChannel
from alerts.notify.channels.sms import SmsChannel
from alerts.notify.channels.webhook import WebhookChannel
from alerts.notify.channels.wecom import WeComChannel
from alerts.notify.config import NotifyConfig, RetryPolicy
from alerts.notify.contacts import Contact, Directory, Office
from alerts.notify.delivery import Deliverer
from alerts.notify.dispatcher import Dispatcher
from alerts.notify.facts import SiteFacts
from alerts.notify.message import AlarmMessage, from_event
from alerts.notify.port import Channel, Delivery, Notification
from alerts.notify.ticker import Ticker
from alerts.routing import Audience, load_table
from storage.datastore import Datastore

SITE = "330106001001"
TOWNSHIP = SITE[:9]
CONSOLE = "http://console.test:18000"
WHEN = datetime(2026, 12, 2, 13, 34, 7, tzinfo=UTC)  # 21:34:07 in Beijing


def raised(**over: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "AlarmRaised",
        "event_id": uuid4().hex,
        "alarm_id": f"A{uuid4().hex[:8]}",
        "seq": 1,
        "occurred_at": WHEN.isoformat(),
        "device_id": f"GD-{uuid4().hex[:6]}",
        "enterprise_id": f"E{uuid4().hex[:8]}",
        "division": SITE,
        "family": "gas",
        "condition": "gas_level",
        "severity": "red",
        "value": 62.5,
        "threshold": 50.0,
    }
    event.update(over)
    return event


def message(event: dict[str, Any] | None = None) -> AlarmMessage:
    return from_event(
        event or raised(),
        "alarm",
        enterprise_name="某化工有限公司",
        device_location="罐区A-1",
        township="西溪街道",
        console_url=CONSOLE,
    )


def delivery(contact: Contact, msg: AlarmMessage | None = None) -> Delivery:
    msg = msg or message()
    key = f"{msg.event_id}:township:township:{TOWNSHIP}:{contact.name}"
    notice = Notification(
        idempotency_key=key,
        kind=msg.kind,
        audience=Audience(kind="township", name="township", division_prefix=TOWNSHIP),
        alarm_id=msg.alarm_id,
        event={"event_id": msg.event_id},
    )
    return Delivery(key=key, contact=contact, message=msg, notification=notice)


def facts(industry: str = "other") -> Callable[[str, str], SiteFacts]:
    return lambda enterprise, device: SiteFacts(industry, "某化工有限公司", "罐区A-1")


def township_office(contacts: tuple[Contact, ...], escalation: tuple[Contact, ...] = ()) -> Office:
    return Office(
        office="township",
        division=TOWNSHIP,
        name="西溪街道",
        contacts=contacts,
        escalation=escalation,
    )


def all_channels(client: httpx.Client, sms_url: str = "") -> dict[str, Channel]:
    made: list[Channel] = [
        WebhookChannel(client),
        WeComChannel(client),
        DingTalkChannel(client),
        FeishuChannel(client),
        SmsChannel(client, sms_url, "token", "SMS_1", "某县应急"),
        LogChannel(),
    ]
    return {c.name: c for c in made}


def fast_config(**over: Any) -> NotifyConfig:
    retry = {
        name: RetryPolicy(5, 0.02, 0.1)
        for name in ("webhook", "wecom", "dingtalk", "feishu", "sms", "log")
    }
    base: dict[str, Any] = {
        "console_url": CONSOLE,
        "retry": retry,
        "tick_s": 0.05,
        "lease_s": 5.0,
    }
    base.update(over)
    return NotifyConfig(**base)


@dataclass
class Parts:
    store: Datastore
    directory: Directory
    config: NotifyConfig
    registry: CollectorRegistry
    dispatcher: Dispatcher
    ticker: Ticker
    client: httpx.Client = field(default_factory=httpx.Client)

    def count(self, channel: str, outcome: str) -> float:
        value = self.registry.get_sample_value(
            "hazardwatch_alerts_notifications_total", {"channel": channel, "outcome": outcome}
        )
        return value or 0.0


def wire(
    store: Datastore, offices: tuple[Office, ...], config: NotifyConfig, industry: str = "other"
) -> Parts:
    registry = CollectorRegistry()
    metrics = AlertsMetrics(registry)
    directory = Directory(offices)
    client = httpx.Client(timeout=5.0)
    deliverer = Deliverer(store, directory, all_channels(client), config, metrics)
    ticker = Ticker(store, directory, deliverer, config)
    dispatcher = Dispatcher(load_table(), facts(industry), directory, store, config, metrics)
    return Parts(store, directory, config, registry, dispatcher, ticker, client)
