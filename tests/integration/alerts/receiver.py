"""A real webhook receiver on 127.0.0.1 that can fail on purpose (tests of notifications)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from alerts.notify.channels.webhook import IDEMPOTENCY_HEADER, SIGNATURE_HEADER


@dataclass
class Receiver:
    url: str
    fail_first: int = 0
    attempts: list[tuple[str, str, bytes]] = field(default_factory=list)  # key, signature, body
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)  # de-duplicated by key


@contextmanager
def serve() -> Iterator[Receiver]:
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            key = self.headers[IDEMPOTENCY_HEADER]
            with lock:
                state.attempts.append((key, self.headers[SIGNATURE_HEADER], body))
                failing = len(state.attempts) <= state.fail_first
                if not failing:
                    state.delivered.setdefault(key, json.loads(body))
            self.send_response(500 if failing else 204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
