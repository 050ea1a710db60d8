"""WeCom (企业微信) group robot: `POST <url with key=...>` with a markdown message.

Body: `{"msgtype": "markdown", "markdown": {"content": "..."}}`, content at most 4096 bytes of
UTF-8; the robot answers 200 with `errcode` 0 on success (45009: too many calls). WeCom's markdown
knows three font colours only: `info` (green), `comment` (grey), `warning` (orange-red).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import httpx

from alerts.notify.channels.http import check_code, post
from alerts.notify.message import AlarmMessage
from alerts.notify.port import Delivery

MAX_BYTES = 4096
_COLOURS = {"red": "warning", "orange": "warning", "yellow": "warning", "blue": "comment"}


def markdown(message: AlarmMessage) -> str:
    colour = _COLOURS.get(message.severity, "warning")
    lines = [f'## <font color="{colour}">{message.headline()}</font>']
    lines += [f"> {label}：{value}" for label, value in message.fields()]
    lines.append(f"[查看并签收]({message.link})")
    return _fit("\n".join(lines), message.link)


def body(message: AlarmMessage) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": markdown(message)}}


def _fit(content: str, link: str) -> str:
    """Cut an over-long message but keep the link, which is what the reader acts on."""
    if len(content.encode()) <= MAX_BYTES:
        return content
    tail = f"\n…\n[查看并签收]({link})"
    room = MAX_BYTES - len(tail.encode())
    return content.encode()[:room].decode(errors="ignore") + tail


class WeComChannel:
    name: ClassVar[str] = "wecom"

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def send(self, delivery: Delivery) -> None:
        assert delivery.contact.url is not None
        payload = json.dumps(body(delivery.message), ensure_ascii=False).encode()
        response = post(
            self._client,
            delivery.contact.url.get_secret_value(),
            payload,
            {"Content-Type": "application/json; charset=utf-8"},
        )
        check_code(response, "errcode", ok=(0,), rate_limited={45009})
