"""The development channel: the message, as plain text, in the service's log."""

from __future__ import annotations

import logging
from typing import ClassVar

from alerts.notify.port import Delivery

log = logging.getLogger("alerts.notify.log")


class LogChannel:
    name: ClassVar[str] = "log"

    def send(self, delivery: Delivery) -> None:
        log.info("notification to %s:\n%s", delivery.contact.name, delivery.message.text())
