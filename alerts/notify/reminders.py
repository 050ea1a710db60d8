"""Reminders until signed for: every period of its severity an unacknowledged alarm is told to
its township office again, each round adding the next contact of the office's escalation path.

The round's messages and the round counter commit in one transaction, with the due rows locked
(SKIP LOCKED), so a restart or a second alerts process neither repeats nor skips a round.
"""

from __future__ import annotations

import psycopg

from alerts.notify.config import NotifyConfig
from alerts.notify.contacts import OFFICE_DIGITS, Directory
from alerts.notify.message import AlarmMessage
from alerts.notify.outbox import row
from alerts.notify.port import Notification
from alerts.routing import Audience
from storage import notifications as db
from storage.datastore import Datastore


class Reminders:
    def __init__(
        self, store: Datastore, directory: Directory, config: NotifyConfig, batch: int = 200
    ) -> None:
        self._store, self._directory, self._config = store, directory, config
        self._batch = batch

    def tick(self) -> int:
        """Send the rounds that are due; returns how many messages were queued."""
        return self._store.run(self._due)

    def _due(self, conn: psycopg.Connection) -> int:
        queued = 0
        for due in db.due_reminders(conn, self._batch):
            round_ = due.round + 1
            queued += self._round(conn, due, round_)
            period = self._config.remind_s.get(due.severity, 0.0)
            if period > 0:
                db.advance_reminders(conn, due.alarm_id, period)
            else:
                db.stop_reminders(conn, due.alarm_id)
        return queued

    def _round(self, conn: psycopg.Connection, due: db.ReminderRow, round_: int) -> int:
        base = AlarmMessage.model_validate(due.message)
        message = base.model_copy(
            update={"kind": "reminder", "round": round_, "event_id": f"{base.alarm_id}:r{round_}"}
        )
        audience = Audience(
            kind="township",
            name="township",
            division_prefix=due.division[: OFFICE_DIGITS["township"]],
        )
        queued = 0
        for contact_id, contact in self._directory.recipients(audience, round_):
            key = f"{message.event_id}:{contact_id}"
            notice = Notification(
                idempotency_key=key,
                kind="reminder",
                audience=audience,
                alarm_id=base.alarm_id,
                event=message.model_dump(mode="json"),
            )
            queued += db.enqueue(conn, row(key, contact_id, contact, message, notice))
        return queued
