"""DingTalk (钉钉) custom robot: a markdown message, signed when the robot has a secret.

Signing as DingTalk documents it: `timestamp` in milliseconds; `sign` = URL-encoded Base64 of
HMAC-SHA256 keyed with the secret over `"{timestamp}\\n{secret}"`; both appended to the robot
URL (`...robot/send?access_token=...&timestamp=...&sign=...`). DingTalk refuses a timestamp more
than an hour off. The robot answers 200 with `errcode` 0; a robot takes at most 20 messages a
minute (130101 / 410100: too fast, worth retrying later).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import quote_plus

import httpx

from alerts.notify.channels.http import check_code, post
from alerts.notify.message import AlarmMessage
from alerts.notify.port import Delivery

_COLOURS = {"red": "#FF0000", "orange": "#FF8C00", "yellow": "#E6B800", "blue": "#1E90FF"}


def sign(secret: str, timestamp_ms: int) -> str:
    """The `sign` query value (already URL-encoded)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign(secret, timestamp_ms)}"


def body(message: AlarmMessage, phone: str | None) -> dict[str, Any]:
    colour = _COLOURS.get(message.severity, "#FF0000")
    lines = [f'### <font color="{colour}">{message.headline()}</font>']
    lines += [f"- {label}：{value}" for label, value in message.fields()]
    lines.append(f"\n[查看并签收]({message.link})")
    if phone:
        # DingTalk only rings the @-ed person when the text names the number too.
        lines.append(f"@{phone}")
    return {
        "msgtype": "markdown",
        "markdown": {"title": message.headline(), "text": "\n".join(lines)},
        "at": {"atMobiles": [phone] if phone else [], "isAtAll": False},
    }


class DingTalkChannel:
    name: ClassVar[str] = "dingtalk"

    def __init__(self, client: httpx.Client, clock: Callable[[], float] = time.time) -> None:
        self._client, self._clock = client, clock

    def send(self, delivery: Delivery) -> None:
        contact = delivery.contact
        assert contact.url is not None
        url = contact.url.get_secret_value()
        if contact.secret is not None:
            url = signed_url(url, contact.secret.get_secret_value(), int(self._clock() * 1000))
        payload = json.dumps(body(delivery.message, contact.phone), ensure_ascii=False).encode()
        response = post(
            self._client, url, payload, {"Content-Type": "application/json; charset=utf-8"}
        )
        check_code(response, "errcode", ok=(0,), rate_limited={130101, 410100})
