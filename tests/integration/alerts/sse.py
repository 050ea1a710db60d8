"""A live-feed reader for tests: frames collected by a thread, waited for with a deadline."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Frame:
    id: str
    event: str
    data: dict[str, Any]


@dataclass
class FeedReader:
    url: str
    token: str
    last_event_id: str | None = None
    frames: list[Frame] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    status: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _open: threading.Event = field(default_factory=threading.Event)

    def start(self) -> FeedReader:
        threading.Thread(target=self._run, daemon=True).start()
        assert self._open.wait(15), "the live feed did not answer"
        return self

    def stop(self) -> None:
        self._stop.set()

    def event_ids(self) -> list[str]:
        with self._lock:
            return [f.data["event_id"] for f in self.frames]

    def wait_for(self, event_ids: set[str], deadline_s: float = 15) -> list[Frame]:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            with self._lock:
                if event_ids <= {f.data.get("event_id") for f in self.frames}:
                    return list(self.frames)
            time.sleep(0.05)
        raise AssertionError(f"{event_ids - set(self.event_ids())} never arrived")

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        timeout = httpx.Timeout(10.0, read=2.0)
        with httpx.stream("GET", self.url, headers=headers, timeout=timeout) as response:
            self.status = response.status_code
            self._open.set()
            block: list[str] = []
            try:
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line:
                        block.append(line)
                    elif block:
                        self._take(block)
                        block = []
            except httpx.ReadTimeout:
                # The server heartbeats; a silence means the test is over or the server died.
                return

    def _take(self, block: list[str]) -> None:
        fields: dict[str, str] = {}
        for line in block:
            if line.startswith(":"):
                with self._lock:
                    self.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            fields[name] = fields.get(name, "") + value.lstrip(" ")
        if "data" in fields and "id" in fields:
            frame = Frame(fields["id"], fields.get("event", ""), json.loads(fields["data"]))
            with self._lock:
                self.frames.append(frame)
