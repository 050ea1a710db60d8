"""A real HTTP endpoint on 127.0.0.1 standing in for a chat robot or an SMS gateway: it records
every request (path, query, headers, body) and answers from a script of statuses."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    path: str
    raw_query: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RobotReceiver:
    base_url: str
    # Statuses of the first answers, in order; afterwards 200 with `answer`.
    statuses: list[int] = field(default_factory=list)
    always: int | None = None  # every answer has this status
    answer: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    requests: list[Request] = field(default_factory=list)

    def url(self, path_and_query: str) -> str:
        return self.base_url + path_and_query

    def accepted(self) -> list[Request]:
        """The requests answered with 200."""
        return [r for r, ok in zip(self.requests, self._ok, strict=True) if ok]

    _ok: list[bool] = field(default_factory=list)


@contextmanager
def serve_robot(answer: dict[str, Any] | None = None) -> Iterator[RobotReceiver]:
    state = RobotReceiver(base_url="")
    if answer is not None:
        state.answer = answer
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            split = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
            with lock:
                state.requests.append(
                    Request(
                        split.path, split.query, query, dict(self.headers), body, time.monotonic()
                    )
                )
                index = len(state.requests) - 1
                status = state.always or (
                    state.statuses[index] if index < len(state.statuses) else 200
                )
                state._ok.append(status == 200)
            reply = json.dumps(state.answer).encode() if status == 200 else b"{}"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
