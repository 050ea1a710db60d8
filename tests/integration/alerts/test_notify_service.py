"""A running `python -m alerts` with a contacts file: a restaurant's alarm reaches the
township's WeCom robot and the gas authority's signed DingTalk robot, in Chinese with the
registry's names and the console link, and no secret of the file appears in the service log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from kafka import KafkaProducer

from schemas.events import AlarmRaised, encode_event
from schemas.settings import Endpoints
from storage.datastore import Datastore
from tests.conftest import endpoints_env
from tests.integration.alerts.robot_receiver import serve_robot
from tests.support.processes import free_port

SITE = "330106001001"


def _seed(store: Datastore) -> tuple[str, str]:
    enterprise, device = f"E{uuid4().hex[:8]}", f"GD-{uuid4().hex[:6]}"
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO enterprises (id, name, division, industry)"
            " VALUES (%s, '老王餐馆', %s, 'catering')",
            (enterprise, SITE),
        )
        conn.execute(
            "INSERT INTO devices (id, enterprise_id, family, type, location, report_interval_s)"
            " VALUES (%s, %s, 'gas', 'combustible', '后厨灶台', 10)",
            (device, enterprise),
        )
    return enterprise, device


def test_a_restaurant_alarm_reaches_the_township_and_gas_authority_robots(
    endpoints: Endpoints,
    database_url: str,
    service_process: Callable[..., Any],
    tmp_path: Path,
) -> None:
    wecom_key, ding_token, ding_secret = uuid4().hex, uuid4().hex, "SEC" + uuid4().hex
    with Datastore(database_url, max_size=1) as store:
        enterprise, device = _seed(store)
    with serve_robot() as robot:
        contacts = tmp_path / "contacts.yaml"
        contacts.write_text(
            f"""\
offices:
  - office: township
    division: "{SITE[:9]}"
    name: 西溪街道
    contacts:
      - {{name: 街道值班群, channel: wecom, url: "{robot.url("/wecom?key=" + wecom_key)}"}}
  - office: gas_authority
    division: "{SITE[:6]}"
    name: 西湖区燃气办
    contacts:
      - name: 燃气办钉钉群
        channel: dingtalk
        url: "{robot.url("/ding?access_token=" + ding_token)}"
        secret: {ding_secret}
""",
            encoding="utf-8",
        )
        port = free_port()
        env = {
            **endpoints_env(endpoints),
            "HW_DATABASE_URL": database_url,
            "HW_API_URL": f"http://127.0.0.1:{port}",
            "HW_CONSOLE_URL": "https://hw.example.cn",
            "HW_API_TOKEN_SECRET": uuid4().hex,
            "HW_NOTIFY_CONTACTS": str(contacts),
            "HW_NOTIFY_GROUP_ID": f"notify-{uuid4().hex[:8]}",
            "HW_NOTIFY_TICK_S": "0.2",
        }
        process = service_process(["alerts"], env, port).wait_ready(60)
        producer = KafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap, acks="all")
        # A new consumer group starts at the end of the log once it has joined: raise alarms
        # until the first one is notified rather than guessing when that happens.
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline and len(robot.accepted()) < 2:
                event = AlarmRaised(
                    event_id=uuid4().hex,
                    alarm_id=f"A{uuid4().hex[:8]}",
                    seq=1,
                    occurred_at=datetime.now(UTC),
                    device_id=device,
                    enterprise_id=enterprise,
                    division=SITE,
                    family="gas",  # type: ignore[arg-type]
                    condition="gas_level",
                    severity="red",  # type: ignore[arg-type]
                    value=55.0,
                    threshold=50.0,
                )
                producer.send(
                    endpoints.topics.alarm_events, key=device.encode(), value=encode_event(event)
                )
                producer.flush(timeout=10)
                time.sleep(1.0)
        finally:
            producer.close(timeout=5)
        requests = robot.accepted()
    by_path = {r.path: r for r in requests}
    assert set(by_path) == {"/wecom", "/ding"}, ([r.path for r in requests], process.tail())
    content = by_path["/wecom"].json()["markdown"]["content"]
    for word in (
        "红色",
        "老王餐馆",
        "后厨灶台",
        device,
        "西溪街道",
        "https://hw.example.cn/console/alarms/",
    ):
        assert word in content, word
    ding = by_path["/ding"]
    expected = base64.b64encode(
        hmac.new(
            ding_secret.encode(),
            f"{ding.query['timestamp']}\n{ding_secret}".encode(),
            hashlib.sha256,
        ).digest()
    ).decode()
    assert ding.query["access_token"] == ding_token
    assert hmac.compare_digest(ding.query["sign"], expected)
    log = process.log.read_text(errors="replace")
    for secret in (wecom_key, ding_token, ding_secret):
        assert secret not in log
