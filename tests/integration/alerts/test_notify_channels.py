"""Each channel against a real HTTP receiver on 127.0.0.1: the request its service documents,
with the DingTalk and Feishu signatures checked here by an independent implementation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Iterator
from uuid import uuid4

import httpx
import pytest
from pydantic import SecretStr

from alerts.notify.channels.dingtalk import DingTalkChannel
from alerts.notify.channels.feishu import FeishuChannel
from alerts.notify.channels.log import LogChannel
from alerts.notify.channels.sms import SmsChannel
from alerts.notify.channels.webhook import WebhookChannel
from alerts.notify.channels.wecom import WeComChannel
from alerts.notify.contacts import Contact
from alerts.notify.port import DeliveryFailed
from tests.integration.alerts.notify_support import CONSOLE, delivery, message, raised
from tests.integration.alerts.robot_receiver import RobotReceiver, serve_robot

# What every channel must say, in Chinese (severity colour word, device, enterprise, location,
# condition, value, time in Beijing, township) and the link to the alarm in the console.
EVERY_FIELD = (
    "红色",
    "某化工有限公司",
    "罐区A-1",
    "气体浓度超限",
    "62.5",
    "2026-12-02 21:34:07",
    "西溪街道",
)


@pytest.fixture
def robot() -> Iterator[RobotReceiver]:
    with serve_robot() as started:
        yield started


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as made:
        yield made


def _says_everything(text: str, msg_device: str, alarm_id: str) -> None:
    for word in (*EVERY_FIELD, msg_device):
        assert word in text, word
    assert f"{CONSOLE}/console/alarms/{alarm_id}" in text


def test_a_wecom_robot_gets_one_markdown_message_naming_everything(
    robot: RobotReceiver, client: httpx.Client
) -> None:
    contact = Contact(
        name="值班群", channel="wecom", url=SecretStr(robot.url("/cgi-bin/webhook/send?key=K-1"))
    )
    msg = message()
    WeComChannel(client).send(delivery(contact, msg))
    [request] = robot.requests
    assert (request.path, request.query) == ("/cgi-bin/webhook/send", {"key": "K-1"})
    assert request.headers["Content-Type"].startswith("application/json")
    body = request.json()
    assert list(body) == ["msgtype", "markdown"] and body["msgtype"] == "markdown"
    assert list(body["markdown"]) == ["content"]
    content = body["markdown"]["content"]
    assert content.startswith('## <font color="warning">【红色预警】')
    _says_everything(content, msg.device_id, msg.alarm_id)
    assert len(content.encode()) <= 4096


def test_a_dingtalk_robot_gets_a_markdown_message_signed_as_dingtalk_documents(
    client: httpx.Client,
) -> None:
    secret = "SEC" + uuid4().hex
    with serve_robot() as robot:
        url = robot.url("/robot/send?access_token=T-1")
        contact = Contact(
            name="钉钉群",
            channel="dingtalk",
            url=SecretStr(url),
            secret=SecretStr(secret),
            phone="13800000001",
        )
        msg = message()
        DingTalkChannel(client).send(delivery(contact, msg))
    [request] = robot.requests
    assert request.path == "/robot/send"
    assert set(request.query) == {"access_token", "timestamp", "sign"}
    assert request.query["access_token"] == "T-1"
    timestamp = int(request.query["timestamp"])
    assert abs(timestamp - time.time() * 1000) < 60_000  # milliseconds, close to now
    # Independently: Base64(HMAC-SHA256(key=secret, msg="timestamp\nsecret")), URL-encoded.
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert hmac.compare_digest(request.query["sign"], expected)
    sign_raw = re.search(r"sign=([^&]*)", request.raw_query)
    assert sign_raw is not None and not re.search(r"[+/=]", sign_raw.group(1))  # url-encoded
    body = request.json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"].startswith("【红色预警】")
    _says_everything(body["markdown"]["text"], msg.device_id, msg.alarm_id)
    assert body["at"] == {"atMobiles": ["13800000001"], "isAtAll": False}
    assert "@13800000001" in body["markdown"]["text"]


def test_a_feishu_bot_gets_a_card_signed_as_feishu_documents(client: httpx.Client) -> None:
    secret = uuid4().hex
    with serve_robot({"code": 0, "msg": "success", "data": {}}) as robot:
        contact = Contact(
            name="飞书群",
            channel="feishu",
            url=SecretStr(robot.url("/open-apis/bot/v2/hook/H-1")),
            secret=SecretStr(secret),
        )
        msg = message()
        FeishuChannel(client).send(delivery(contact, msg))
    [request] = robot.requests
    assert request.path == "/open-apis/bot/v2/hook/H-1" and request.query == {}
    body = request.json()
    assert list(body) == ["timestamp", "sign", "msg_type", "card"]
    timestamp = int(body["timestamp"])
    assert abs(timestamp - time.time()) < 60  # seconds, as a string
    # Independently: Base64(HMAC-SHA256(key="timestamp\nsecret", msg="")).
    key = f"{body['timestamp']}\n{secret}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(body["sign"], expected)
    assert body["msg_type"] == "interactive"
    card = body["card"]
    assert card["header"]["template"] == "red"
    assert card["header"]["title"] == {"tag": "plain_text", "content": msg.headline()}
    text = card["elements"][0]["text"]["content"]
    _says_everything(text + card["elements"][1]["actions"][0]["url"], msg.device_id, msg.alarm_id)


def test_an_sms_gateway_gets_the_template_id_and_parameters_per_phone(client: httpx.Client) -> None:
    with serve_robot({"code": "OK"}) as gateway:
        contact = Contact(name="王科长", channel="sms", phone="13800000002")
        sms = SmsChannel(client, gateway.url("/sms/send"), "tok-1", "SMS_123", "某县应急管理局")
        msg = message()
        sent = delivery(contact, msg)
        sms.send(sent)
    [request] = gateway.requests
    assert request.headers["Authorization"] == "Bearer tok-1"
    assert request.headers["Idempotency-Key"] == sent.header_key
    body = request.json()
    assert body["phone_numbers"] == ["13800000002"]
    assert (body["template_id"], body["sign_name"], body["out_id"]) == (
        "SMS_123",
        "某县应急管理局",
        sent.key,
    )
    params = body["template_params"]
    assert set(params) == {
        "level",
        "kind",
        "device",
        "enterprise",
        "location",
        "condition",
        "value",
        "time",
        "township",
        "link",
    }
    assert (params["level"], params["township"], params["value"]) == (
        "红色",
        "西溪街道",
        "62.5（阈值 50）",
    )
    assert params["link"] == f"{CONSOLE}/console/alarms/{msg.alarm_id}"
    assert all(len(v) <= 35 for k, v in params.items() if k != "link")


def test_the_generic_webhook_is_hmac_signed_with_an_idempotency_key(
    robot: RobotReceiver, client: httpx.Client
) -> None:
    secret = uuid4().hex
    contact = Contact(
        name="hook", channel="webhook", url=SecretStr(robot.url("/hook")), secret=SecretStr(secret)
    )
    sent = delivery(contact)
    WebhookChannel(client).send(sent)
    [request] = robot.requests
    assert request.headers["Idempotency-Key"] == sent.header_key
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Hazardwatch-Signature"], expected)
    assert request.json()["alarm_id"] == sent.message.alarm_id


def test_the_log_channel_writes_the_message_as_text(caplog: pytest.LogCaptureFixture) -> None:
    msg = message()
    with caplog.at_level(logging.INFO, logger="alerts.notify.log"):
        LogChannel().send(delivery(Contact(name="dev", channel="log"), msg))
    _says_everything(caplog.text, msg.device_id, msg.alarm_id)


def test_a_robot_that_refuses_the_signature_fails_for_good_and_one_that_is_busy_for_now(
    client: httpx.Client,
) -> None:
    contact_url = "/robot/send?access_token=T"
    with serve_robot({"errcode": 310000, "errmsg": "sign not match"}) as robot:
        contact = Contact(
            name="d",
            channel="dingtalk",
            url=SecretStr(robot.url(contact_url)),
            secret=SecretStr("S"),
        )
        with pytest.raises(DeliveryFailed) as refused:
            DingTalkChannel(client).send(delivery(contact))
    assert not refused.value.retryable and "310000" in refused.value.reason
    with serve_robot({"errcode": 45009, "errmsg": "api freq out of limit"}) as robot:
        contact = Contact(name="w", channel="wecom", url=SecretStr(robot.url("/send?key=K")))
        with pytest.raises(DeliveryFailed) as busy:
            WeComChannel(client).send(delivery(contact))
    assert busy.value.retryable


def test_a_failure_never_quotes_the_robot_url_which_holds_its_key(client: httpx.Client) -> None:
    contact = Contact(
        name="w", channel="wecom", url=SecretStr("http://127.0.0.1:9/send?key=SECRET-KEY")
    )
    with pytest.raises(DeliveryFailed) as failed:
        WeComChannel(client).send(delivery(contact))
    assert failed.value.retryable and "SECRET-KEY" not in failed.value.reason
    assert "SECRET-KEY" not in repr(contact)


def test_an_orange_alarm_says_orange(robot: RobotReceiver, client: httpx.Client) -> None:
    contact = Contact(name="w", channel="wecom", url=SecretStr(robot.url("/send?key=K")))
    WeComChannel(client).send(delivery(contact, message(raised(severity="orange"))))
    assert "【橙色预警】" in robot.requests[0].json()["markdown"]["content"]
