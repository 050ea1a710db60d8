from __future__ import annotations

from typing import Any
from uuid import uuid4

from alerts.notify.dispatcher import Dispatcher
from alerts.notify.port import Notification, NotificationFailed
from alerts.routing import load_table


class FakeNotifier:
    def __init__(self, failing_audiences: frozenset[str] = frozenset()) -> None:
        self.sent: list[Notification] = []
        self.failing = failing_audiences

    def notify(self, notification: Notification) -> None:
        if notification.audience.name in self.failing:
            raise NotificationFailed(notification.idempotency_key)
        self.sent.append(notification)


def _raised(enterprise_id: str, family: str = "gas") -> dict[str, Any]:
    return {
        "type": "AlarmRaised",
        "event_id": uuid4().hex[:8],
        "alarm_id": uuid4().hex[:8],
        "enterprise_id": enterprise_id,
        "division": "330106001001",
        "family": family,
        "severity": "red",
    }


def test_the_enterprises_industry_picks_the_regulator() -> None:
    enterprise = f"E{uuid4().hex[:8]}"
    notifier = FakeNotifier()
    dispatcher = Dispatcher(load_table(), {enterprise: "chemical"}.__getitem__, notifier)
    assert dispatcher.handle(_raised(enterprise)) == 2
    assert [n.audience.name for n in notifier.sent] == ["township", "emergency_management"]


def test_one_failed_audience_does_not_stop_the_others() -> None:
    enterprise = f"E{uuid4().hex[:8]}"
    notifier = FakeNotifier(failing_audiences=frozenset({"township"}))
    dispatcher = Dispatcher(load_table(), lambda _: "catering", notifier)
    assert dispatcher.handle(_raised(enterprise)) == 1
    assert [n.audience.name for n in notifier.sent] == ["gas_authority"]
