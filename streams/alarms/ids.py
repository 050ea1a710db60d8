"""Deterministic ids: the same cause always yields the same alarm and event ids.

That is what makes at-least-once delivery safe: a redelivered reading, command or tick
reproduces byte-identical events, which consumers drop by `event_id`.
"""

from __future__ import annotations

import uuid

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://hazardwatch/alarm-events/v1")


def alarm_id(device_id: str, condition: str, cause_id: str) -> str:
    """One alarm per occurrence: the occurrence is named by the input that started it."""
    return str(uuid.uuid5(NAMESPACE, f"alarm|{device_id}|{condition}|{cause_id}"))


def event_id(cause_id: str, alarm: str, event_type: str) -> str:
    # One cause may yield several events (a raise and its suppression, two conditions),
    # so the alarm and the event type are part of the name.
    return str(uuid.uuid5(NAMESPACE, f"event|{cause_id}|{alarm}|{event_type}"))


def reading_trigger(device_id: str, seq: int) -> str:
    return f"reading|{device_id}|{seq}"


def command_trigger(command_id: str) -> str:
    return f"command|{command_id}"
