"""Feishu (飞书) custom bot: an interactive card, signed when the bot has a secret.

Signing as Feishu documents it: `timestamp` in seconds; `sign` = Base64 of HMAC-SHA256 keyed
with `"{timestamp}\\n{secret}"` over an empty message; both go in the JSON body beside
`msg_type`. Feishu refuses a timestamp more than an hour off (code 19021). The bot answers 200
with `code` 0 (11232: frequency limited, worth retrying later).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any, ClassVar

import httpx

from alerts.notify.channels.http import check_code, post
from alerts.notify.message import AlarmMessage
from alerts.notify.port import Delivery

_TEMPLATES = {"red": "red", "orange": "orange", "yellow": "yellow", "blue": "blue"}


def sign(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def card(message: AlarmMessage) -> dict[str, Any]:
    text = "\n".join(f"**{label}**：{value}" for label, value in message.fields())
    return {
        "header": {
            "title": {"tag": "plain_text", "content": message.headline()},
            "template": _TEMPLATES.get(message.severity, "red"),
        },
        "elements": [
            {"tag": "div", "text": {"tag": "lark_md", "content": text}},
            {
                "tag": "action",
                "actions": [
                    {
                        "tag": "button",
                        "text": {"tag": "plain_text", "content": "查看并签收"},
                        "url": message.link,
                        "type": "danger" if message.severity == "red" else "primary",
                    }
                ],
            },
        ],
    }


def body(message: AlarmMessage, secret: str | None, timestamp_s: int) -> dict[str, Any]:
    signed = {"timestamp": str(timestamp_s), "sign": sign(secret, timestamp_s)} if secret else {}
    return {**signed, "msg_type": "interactive", "card": card(message)}


class FeishuChannel:
    name: ClassVar[str] = "feishu"

    def __init__(self, client: httpx.Client, clock: Callable[[], float] = time.time) -> None:
        self._client, self._clock = client, clock

    def send(self, delivery: Delivery) -> None:
        contact = delivery.contact
        assert contact.url is not None
        secret = contact.secret.get_secret_value() if contact.secret else None
        payload = body(delivery.message, secret, int(self._clock()))
        response = post(
            self._client,
            contact.url.get_secret_value(),
            json.dumps(payload, ensure_ascii=False).encode(),
            {"Content-Type": "application/json; charset=utf-8"},
        )
        check_code(response, "code", ok=(0,), rate_limited={11232})
