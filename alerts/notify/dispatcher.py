"""From an alarm event to rows in the outbox: the handler the notifications consumer calls.

One transaction per event: its messages (one per contact, keyed so a redelivery adds nothing),
the flapping count, and the start or stop of the alarm's reminders commit together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg

from alerts.metrics import AlertsMetrics
from alerts.notify.config import NotifyConfig
from alerts.notify.contacts import Directory
from alerts.notify.facts import FactsOf
from alerts.notify.flapping import summary_row
from alerts.notify.message import AlarmMessage, from_event
from alerts.notify.outbox import row
from alerts.notify.policy import notifications_for
from alerts.notify.port import Notification
from alerts.routing import RoutingTable
from storage import notifications as db
from storage.datastore import Datastore

# Someone signed for the alarm (or it is inhibited): its reminders stop at once.
STOPS_REMINDERS = frozenset({"Acknowledged", "Dispatched", "Resolved", "Closed", "Suppressed"})
# The events `policy.notifications_for` may notify of (the others need no registry lookup).
NOTIFIED = frozenset({"AlarmRaised", "Escalated", "Supervised"})


class Dispatcher:
    def __init__(
        self,
        table: RoutingTable,
        facts: FactsOf,
        directory: Directory,
        store: Datastore,
        config: NotifyConfig,
        metrics: AlertsMetrics,
    ) -> None:
        self._table, self._facts, self._directory = table, facts, directory
        self._store, self._config, self._metrics = store, config, metrics

    def handle(self, event: Mapping[str, Any]) -> int:
        """Queue the event's notifications; returns how many new messages were queued."""
        kind, alarm_id = event.get("type"), str(event.get("alarm_id", ""))
        if kind in STOPS_REMINDERS:
            self._store.run(lambda conn: db.stop_reminders(conn, alarm_id))
            return 0
        if kind == "SeverityChanged":
            severity = str(event["to_severity"])
            period = self._config.remind_s.get(severity, 0.0)
            self._store.run(lambda conn: db.change_severity(conn, alarm_id, severity, period))
            return 0
        if kind not in NOTIFIED:
            return 0
        facts = self._facts(str(event.get("enterprise_id", "")), str(event.get("device_id", "")))
        notices = notifications_for(self._table, event, facts.industry)
        if not notices:
            return 0
        township = self._directory.township_name(str(event["division"]))
        messages = [
            from_event(
                event,
                notice.kind,
                enterprise_name=facts.enterprise_name,
                device_location=facts.device_location,
                township=township,
                console_url=self._config.console_url,
            )
            for notice in notices
        ]
        return self._store.run(lambda conn: self._queue(conn, event, notices, messages))

    def _queue(
        self,
        conn: psycopg.Connection,
        event: Mapping[str, Any],
        notices: list[Notification],
        messages: list[AlarmMessage],
    ) -> int:
        queued = 0
        for notice, message in zip(notices, messages, strict=True):
            for contact_id, contact in self._directory.recipients(notice.audience):
                key = f"{notice.idempotency_key}:{contact.name}"
                if db.known(conn, key):
                    continue
                stored = row(
                    key,
                    contact_id,
                    contact,
                    message,
                    notice.model_copy(update={"idempotency_key": key}),
                )
                if notice.kind == "alarm" and not self._admit(conn, stored, message):
                    db.enqueue(conn, stored, state="held")
                    self._metrics.notifications.labels(contact.channel, "held").inc()
                    continue
                queued += db.enqueue(conn, stored)
        severity = str(event.get("severity", ""))
        period = self._config.remind_s.get(severity, 0.0)
        if event.get("type") == "AlarmRaised" and queued:
            first = messages[0]  # the township's: reminders go to the office that must sign
            db.start_reminders(
                conn,
                first.alarm_id,
                str(event["division"]),
                str(event["family"]),
                severity,
                first.model_dump(mode="json"),
                period,
            )
        return queued

    def _admit(self, conn: psycopg.Connection, stored: db.OutboxRow, message: AlarmMessage) -> bool:
        admitted, ended = db.admit(
            conn,
            stored.contact,
            message.device_id,
            stored.channel,
            self._config.flap_window_s,
            self._config.flap_limit,
            stored.payload["message"],
        )
        if ended is not None:
            summary = summary_row(ended, self._directory)
            if summary is not None:
                db.enqueue(conn, summary)
        return admitted
