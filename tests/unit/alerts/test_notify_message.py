"""The words of a notification: Chinese, Beijing time, the console link, each kind's headline;
and the retry backoff each channel uses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alerts.notify.channels import wecom
from alerts.notify.config import RetryPolicy
from alerts.notify.message import AlarmMessage, from_event


def _event(**over: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "AlarmRaised",
        "event_id": "e1",
        "alarm_id": "a1",
        "occurred_at": "2026-12-02T16:30:00Z",  # 00:30 the next day in Beijing
        "device_id": "GD-0001",
        "enterprise_id": "E1",
        "division": "330106001001",
        "family": "gas",
        "condition": "interlock_failure",
        "severity": "red",
    }
    event.update(over)
    return event


def _message(**over: Any) -> AlarmMessage:
    return from_event(
        _event(**over),
        "alarm",
        enterprise_name="某餐馆",
        device_location="后厨",
        township="西溪街道",
        console_url="https://hw.example.cn/",
    )


def test_a_message_names_everything_in_chinese_with_beijing_time_and_the_console_link() -> None:
    message = _message()
    assert message.headline() == "【红色预警】联锁切断失效"
    assert dict(message.fields()) == {
        "级别": "红色",
        "设备": "GD-0001",
        "企业": "某餐馆",
        "位置": "后厨",
        "条件": "联锁切断失效",
        "数值": "—",
        "时间": "2026-12-03 00:30:00",
        "乡镇/街道": "西溪街道",
    }
    assert message.link == "https://hw.example.cn/console/alarms/a1"
    assert message.text().endswith("查看处置：https://hw.example.cn/console/alarms/a1")


def test_each_kind_says_what_it_is() -> None:
    base = _message(severity="yellow", condition="offline")
    assert base.model_copy(update={"kind": "reminder", "round": 2}).headline() == (
        "【黄色预警·第2次催办】未签收：设备离线"
    )
    assert (
        "已升级至区县"
        in base.model_copy(update={"kind": "escalation", "level": "county"}).headline()
    )
    summary = base.model_copy(update={"kind": "summary", "held": 17})
    assert "频繁报警汇总" in summary.headline()
    assert "又报警 17 次" in summary.text()


def test_an_unknown_condition_is_shown_as_its_code_and_a_value_with_its_threshold() -> None:
    message = _message(condition="new_rule", value=12.0, threshold=10.0)
    assert dict(message.fields())["条件"] == "new_rule"
    assert dict(message.fields())["数值"] == "12（阈值 10）"
    assert isinstance(message.occurred_at, datetime) and message.occurred_at.tzinfo is not None
    assert message.occurred_at == datetime(2026, 12, 2, 16, 30, tzinfo=UTC)


def test_an_overlong_wecom_message_is_cut_to_4096_bytes_but_keeps_its_link() -> None:
    message = _message().model_copy(update={"device_location": "很长的位置" * 400})
    content = wecom.markdown(message)
    assert len(content.encode()) <= wecom.MAX_BYTES
    assert content.endswith(f"[查看并签收]({message.link})")


def test_backoff_doubles_from_the_first_delay_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=6, backoff_s=2.0, max_backoff_s=10.0)
    assert [policy.delay(n) for n in range(1, 6)] == [2.0, 4.0, 8.0, 10.0, 10.0]


def test_an_escalation_reminds_the_township_that_it_is_overdue_and_tells_the_county() -> None:
    event = _event(type="Escalated", level="county", reason="ack_overdue")
    made = {
        kind: from_event(
            event,
            kind,
            enterprise_name="某餐馆",
            device_location="后厨",
            township="西溪街道",
            console_url="http://c",
        ).headline()
        for kind in ("reminder", "escalation")
    }
    assert made == {
        "reminder": "【红色预警·超时未签收】联锁切断失效",
        "escalation": "【红色预警·已升级至区县】联锁切断失效",
    }
