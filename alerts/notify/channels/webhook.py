"""The generic webhook: the notification as JSON, HMAC-SHA256-signed with the contact's secret.

The receiver checks `X-Hazardwatch-Signature: sha256=<hex of HMAC(secret, body)>` and drops a
repeated `Idempotency-Key` (a retry after a lost answer sends the same key and body).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import ClassVar

import httpx

from alerts.notify.channels.http import post
from alerts.notify.port import Delivery

SIGNATURE_HEADER = "X-Hazardwatch-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class WebhookChannel:
    name: ClassVar[str] = "webhook"

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def send(self, delivery: Delivery) -> None:
        contact = delivery.contact
        assert contact.url is not None and contact.secret is not None  # the contact validated
        body = delivery.notification.model_dump_json().encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(contact.secret.get_secret_value().encode(), body),
            IDEMPOTENCY_HEADER: delivery.header_key,
        }
        post(self._client, contact.url.get_secret_value(), body, headers)
