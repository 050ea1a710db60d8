"""Errors of the streams package; one base so the agents' failure policy can name them."""

from __future__ import annotations


class StreamsError(Exception):
    """Base of every error raised by streams code."""


class UnknownDevice(StreamsError):
    def __init__(self, device_id: str) -> None:
        super().__init__(f"no reading or registry entry seen yet for device {device_id!r}")
        self.device_id = device_id


class UndecodableMessage(StreamsError):
    def __init__(self, topic: str, detail: str) -> None:
        super().__init__(f"cannot decode a message of {topic}: {detail}")
        self.topic = topic
        self.detail = detail
