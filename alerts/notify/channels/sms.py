"""SMS through an HTTP SMS gateway: the common shape of Chinese cloud SMS APIs (Aliyun
`SendSms`, Tencent `SendSms`): a pre-approved template id, the sender's signature name and the
template's parameters; the gateway (a small relay run by the deployment, holding the cloud
account's keys) signs the cloud call. One request per phone number.

Request: `POST <gateway url>`, `Authorization: Bearer <token>`, `Idempotency-Key: <key>`, body
`{"phone_numbers": [...], "sign_name": ..., "template_id": ..., "template_params": {...},
"out_id": <key>}`. Success: a 2xx answer whose `code`, when present, is 0, "0" or "OK".
Carriers cap a template variable's length (Aliyun: 35 characters), so each is cut to that.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import httpx

from alerts.notify.channels.http import post
from alerts.notify.message import SEVERITY_WORDS, AlarmMessage
from alerts.notify.port import Delivery, DeliveryFailed

PARAM_MAX = 35
_OK = (0, "0", "OK", "Ok", "ok")


def template_params(message: AlarmMessage) -> dict[str, str]:
    fields = dict(message.fields())
    params = {
        "level": SEVERITY_WORDS.get(message.severity, message.severity),
        "kind": message.headline(),
        "device": message.device_id,
        "enterprise": message.enterprise_name,
        "location": fields["位置"],
        "condition": fields["条件"],
        "value": fields["数值"],
        "time": fields["时间"],
        "township": message.township,
    }
    cut = {name: value[:PARAM_MAX] for name, value in params.items()}
    # The link is one variable the template declares as a link; it must stay whole.
    return {**cut, "link": message.link}


class SmsChannel:
    name: ClassVar[str] = "sms"

    def __init__(
        self, client: httpx.Client, url: str, token: str, template_id: str, sign_name: str
    ) -> None:
        self._client, self._url, self._token = client, url, token
        self._template_id, self._sign_name = template_id, sign_name

    def body(self, delivery: Delivery) -> dict[str, Any]:
        return {
            "phone_numbers": [delivery.contact.phone],
            "sign_name": self._sign_name,
            "template_id": self._template_id,
            "template_params": template_params(delivery.message),
            "out_id": delivery.key,
        }

    def send(self, delivery: Delivery) -> None:
        if not self._url:
            raise DeliveryFailed("no SMS gateway configured (HW_NOTIFY_SMS_URL)", retryable=False)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {self._token}",
            "Idempotency-Key": delivery.header_key,
        }
        payload = json.dumps(self.body(delivery), ensure_ascii=False).encode()
        response = post(self._client, self._url, payload, headers)
        try:
            answer = response.json() if response.content else {}
        except ValueError:
            answer = {}
        code = answer.get("code", 0) if isinstance(answer, dict) else 0
        if code not in _OK:
            raise DeliveryFailed(f"gateway code {code}", retryable=False)
