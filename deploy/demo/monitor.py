"""A scripted township monitor: handles one alarm to closure over the HTTP API, the way a person
at the township safety office would (签收 → 派单 → 处置完成 → 销号)."""

from __future__ import annotations

import time
from typing import Any

import httpx

Step = tuple[str, dict[str, str], str]
RESPOND: tuple[Step, ...] = (
    ("acknowledge", {"comment": "签收，已联系企业安全员"}, "acknowledged"),
    ("dispatch", {"assignee": "张工 (企业安全员)", "comment": "派单现场处置"}, "dispatched"),
)
CONCLUDE: tuple[Step, ...] = (
    ("resolve", {"cause": "real_leak", "comment": "阀门已关闭，管线法兰垫片更换"}, "resolved"),
    ("close", {"comment": "复核通过，销号"}, "closed"),
)
RESET: tuple[Step, ...] = (
    ("acknowledge", {"comment": "演示重置"}, "acknowledged"),
    ("dispatch", {"assignee": "demo", "comment": "演示重置"}, "dispatched"),
    # "maintenance": a leftover whose condition still holds may be closed only after a
    # device-fault or maintenance resolution (the next reading then raises it anew).
    ("resolve", {"cause": "maintenance", "comment": "演示重置：上一轮演示遗留"}, "resolved"),
    ("close", {"comment": "演示重置"}, "closed"),
)


class Monitor:
    def __init__(self, api_url: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=api_url, timeout=10.0, headers={"Authorization": f"Bearer {token}"}
        )

    def find(self, device_id: str, condition: str) -> dict[str, Any] | None:
        page = self.client.get("/api/v1/alarms", params={"state": "open"}).json()
        for alarm in page.get("items", []):
            if alarm["device_id"] == device_id and alarm["condition"] == condition:
                found: dict[str, Any] = alarm
                return found
        return None

    def alarm(self, alarm_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.client.get(f"/api/v1/alarms/{alarm_id}").json()["alarm"]
        return found

    def state(self, alarm_id: str) -> str:
        return str(self.alarm(alarm_id)["state"])

    def wait_cleared(self, alarm_id: str, timeout: float) -> bool:
        """A leak is resolved once the concentration is back to normal, not before."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.alarm(alarm_id)["view"].get("cleared"):
                return True
            time.sleep(0.5)
        return False

    def open_alarms(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.client.get(
            "/api/v1/alarms", params={"state": "open", "limit": 500}
        ).json()["items"]
        return items

    def act(
        self, alarm_id: str, action: str, body: dict[str, str], until: str, timeout: float = 20.0
    ) -> bool:
        response = self.client.post(f"/api/v1/alarms/{alarm_id}/{action}", json=body)
        if response.status_code != 202:
            print(f"    {action}: HTTP {response.status_code} {response.text}")
            return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state(alarm_id) == until:
                return True
            time.sleep(0.3)
        return False

    def handle(self, alarm_id: str, steps: tuple[Step, ...], log: Any = print) -> list[str]:
        done = []
        for action, body, until in steps:
            if not self.act(alarm_id, action, body, until):
                log(f"    {action} did not reach {until}")
                break
            done.append(action)
            log(f"    {action:<11} -> {until}")
        return done
