"""Example messages for people reading the demo: what a channel would receive, without sending.

`./run demo` prints `wecom_example(event)` for one of its alarms (or the sample below).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from alerts.notify.channels import wecom
from alerts.notify.message import from_event

SAMPLE_EVENT: dict[str, Any] = {
    "type": "AlarmRaised",
    "event_id": "example",
    "alarm_id": "example",
    "occurred_at": "2026-01-01T02:00:00Z",
    "device_id": "GD-0001",
    "enterprise_id": "E330106000001",
    "division": "330106001001",
    "family": "gas",
    "condition": "gas_level",
    "severity": "red",
    "value": 62.0,
    "threshold": 50.0,
}


def wecom_example(
    event: Mapping[str, Any] | None = None,
    *,
    console_url: str = "http://127.0.0.1:18000",
    enterprise_name: str = "某化工有限公司",
    device_location: str = "罐区A-1",
    township: str = "西溪街道",
    as_json: bool = True,
) -> str:
    """The JSON body a WeCom group robot would get for `event` (an AlarmRaised as a dict, e.g.
    `AlarmRaised.model_dump(mode="json")`), pretty-printed; with `as_json=False` only its
    markdown, as lines a terminal shows readably."""
    message = from_event(
        event or SAMPLE_EVENT,
        "alarm",
        enterprise_name=enterprise_name,
        device_location=device_location,
        township=township,
        console_url=console_url,
    )
    if not as_json:
        return wecom.markdown(message)
    return json.dumps(wecom.body(message), ensure_ascii=False, indent=2)
