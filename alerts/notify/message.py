"""The words of a notification, in Simplified Chinese: built once from the alarm event and the
registry, stored with the outbox row, and rendered by each channel in its own format.

Pure: no I/O. Times are shown in China Standard Time (UTC+8, no daylight saving).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

MessageKind = Literal["alarm", "reminder", "escalation", "supervision", "summary"]
CST = timezone(timedelta(hours=8), "CST")

SEVERITY_WORDS = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}
CONDITION_WORDS = {
    "gas_level": "气体浓度超限",
    "level1": "气体浓度超限（一级）",
    "level2": "气体浓度超限（二级）",
    "oxygen": "氧含量异常",
    "valve_fault": "切断阀故障",
    "interlock_failure": "联锁切断失效",
    "offline": "设备离线",
    "site_offline": "场所整体离线",
    "fire_alarm": "火灾报警",
    "residual_current": "剩余电流超限",
    "cable_temperature": "线缆温度超限",
    "trapped": "电梯困人",
    "door_open_while_moving": "运行中开门",
    "ebike_detected": "电动车进入轿厢",
    "device_fault": "设备故障",
    "tamper_flatline": "数值冻结（疑似篡改）",
    "tamper_offline_repeated": "反复离线（疑似篡改）",
}


class AlarmMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: MessageKind
    alarm_id: str
    event_id: str
    severity: str
    device_id: str
    device_location: str
    enterprise_id: str
    enterprise_name: str
    township: str
    condition: str
    value: float | None = None
    threshold: float | None = None
    occurred_at: datetime
    link: str
    round: int = 0  # reminders: which one
    level: str = ""  # escalations: county | city
    reason: str = ""  # escalations: ack_overdue | resolve_overdue
    held: int = 0  # summaries: how many alarm messages were merged into this one

    def headline(self) -> str:
        colour = SEVERITY_WORDS.get(self.severity, self.severity)
        what = CONDITION_WORDS.get(self.condition, self.condition)
        prefix = {
            "alarm": f"【{colour}预警】",
            "reminder": f"【{colour}预警·第{self.round}次催办】未签收："
            if self.round
            else f"【{colour}预警·{_OVERDUE.get(self.reason, '超时')}】",
            "escalation": f"【{colour}预警·已升级至{_LEVELS.get(self.level, self.level)}】",
            "supervision": f"【{colour}预警·挂牌督办】",
            "summary": f"【{colour}预警·频繁报警汇总】",
        }[self.kind]
        return prefix + what

    def fields(self) -> list[tuple[str, str]]:
        """(label, value) lines, in the order every channel shows them."""
        lines = [
            ("级别", SEVERITY_WORDS.get(self.severity, self.severity)),
            ("设备", self.device_id),
            ("企业", self.enterprise_name),
            ("位置", self.device_location or "—"),
            ("条件", CONDITION_WORDS.get(self.condition, self.condition)),
            ("数值", _value(self.value, self.threshold)),
            ("时间", self.occurred_at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")),
            ("乡镇/街道", self.township),
        ]
        if self.kind == "summary":
            lines.append(("合并", f"该设备又报警 {self.held} 次，已合并为本条，不再逐条推送"))
        return lines

    def text(self) -> str:
        """Plain text (Feishu text, the log channel)."""
        body = "\n".join(f"{label}：{value}" for label, value in self.fields())
        return f"{self.headline()}\n{body}\n查看处置：{self.link}"


_LEVELS = {"county": "区县", "city": "市"}
_OVERDUE = {"ack_overdue": "超时未签收", "resolve_overdue": "超时未处置"}


def _value(value: float | None, threshold: float | None) -> str:
    if value is None:
        return "—"
    shown = f"{value:g}"
    return f"{shown}（阈值 {threshold:g}）" if threshold is not None else shown


def alarm_link(console_url: str, alarm_id: str) -> str:
    return f"{console_url.rstrip('/')}/console/alarms/{alarm_id}"


def from_event(
    event: Mapping[str, Any],
    kind: MessageKind,
    *,
    enterprise_name: str,
    device_location: str,
    township: str,
    console_url: str,
) -> AlarmMessage:
    occurred = event.get("occurred_at")
    when = (
        datetime.fromisoformat(occurred.replace("Z", "+00:00"))
        if isinstance(occurred, str)
        else occurred
        if isinstance(occurred, datetime)
        else datetime.now(UTC)
    )
    alarm_id = str(event["alarm_id"])
    return AlarmMessage(
        kind=kind,
        alarm_id=alarm_id,
        event_id=str(event["event_id"]),
        severity=str(event.get("severity") or event.get("to_severity") or ""),
        device_id=str(event.get("device_id", "")),
        device_location=device_location,
        enterprise_id=str(event.get("enterprise_id", "")),
        enterprise_name=enterprise_name or str(event.get("enterprise_id", "")),
        township=township,
        condition=str(event.get("condition", "")),
        value=event.get("value"),
        threshold=event.get("threshold"),
        occurred_at=when,
        link=alarm_link(console_url, alarm_id),
        level=str(event.get("level", "")),
        reason=str(event.get("reason", "")) if event.get("type") == "Escalated" else "",
    )
