"""A live-feed listener for the demo: what a township monitor's screen receives, and when."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx


@dataclass
class Received:
    event: dict[str, Any]
    at: datetime


@dataclass
class FeedListener:
    api_url: str
    token: str
    name: str
    events: list[Received] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> FeedListener:
        threading.Thread(target=self._run, name=f"feed-{self.name}", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        while not self._stop.is_set():
            try:
                with httpx.stream(
                    "GET",
                    f"{self.api_url}/api/v1/stream",
                    headers=headers,
                    timeout=httpx.Timeout(5.0, read=30.0),
                ) as response:
                    for line in response.iter_lines():
                        if self._stop.is_set():
                            return
                        if line.startswith("data: "):
                            self.events.append(Received(json.loads(line[6:]), datetime.now(UTC)))
            except httpx.HTTPError:
                time.sleep(0.5)

    def raised(self) -> list[Received]:
        return [r for r in self.events if r.event.get("type") == "AlarmRaised"]
