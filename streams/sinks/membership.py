"""The sink's consumer-group membership: who it is to the broker, and how soon a dead one is
noticed.

Static membership (KIP-345, `group.instance.id`): a sink restarted after a crash rejoins under
the id it had and gets its partitions back at once. A dynamic member would wait instead for
its dead self's session to expire (the broker's least session is 6 s, measured 6.3 s from the
kill to the next row stored). The id is the host and the sink's HTTP port, which only one
process on a host can hold at a time: a second sink elsewhere or on another port is another
member, never one that fences a live sink.
"""

from __future__ import annotations

import socket
from typing import Any

from streams.sinks.settings import SinkSettings


def instance_id(settings: SinkSettings) -> str:
    if settings.sink_instance_id:
        return settings.sink_instance_id
    return f"sinks-{socket.gethostname()}-{settings.sink_http_port}"


def group_options(settings: SinkSettings, suffix: str = "") -> dict[str, Any]:
    """KafkaConsumer keyword arguments of the group `suffix` names (the main group: none)."""
    options: dict[str, Any] = {
        "group_id": settings.topic_prefix + settings.sink_group_id + suffix,
        "session_timeout_ms": settings.sink_session_timeout_ms,
        "heartbeat_interval_ms": max(1000, settings.sink_session_timeout_ms // 4),
    }
    if settings.sink_static_membership:
        options["group_instance_id"] = instance_id(settings) + suffix
    return options
