"""The alerts service as a real process serving HTTPS with the stack's server certificate, and
an httpx client that trusts the stack's CA only (httpx.Client has TestClient's API, so a test
written for the in-process app runs against it unchanged)."""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.stack import certs
from tests.support.processes import ServiceProcess, free_port


@dataclass(frozen=True)
class HttpsAlerts:
    url: str
    client: httpx.Client
    process: ServiceProcess


@contextlib.contextmanager
def https_alerts(
    env: Mapping[str, str], authority: certs.Authority, log_dir: Path, timeout: float = 60.0
) -> Iterator[HttpsAlerts]:
    """`python -m alerts` with `env` (endpoints, database, token secret) on https://127.0.0.1,
    ready (its /readyz over TLS) before it is handed out; stopped at the end."""
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    proc = ServiceProcess(
        ["alerts"],
        {**env, "HW_API_URL": url, "HW_API_TLS_CERT": str(authority.server_cert),
         "HW_API_TLS_KEY": str(authority.server_key)},
        port,
        log_dir / f"test-alerts-https-{port}.log",
    ).start()
    trust = ssl.create_default_context(cafile=str(authority.ca_cert))
    client = httpx.Client(base_url=url, verify=trust, timeout=10.0)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/readyz").status_code == 200:
                    break
            assert proc.proc is not None and proc.proc.poll() is None, proc.tail()
            assert time.monotonic() < deadline, proc.tail()
            time.sleep(0.2)
        yield HttpsAlerts(url, client, proc)
    finally:
        client.close()
        proc.stop()
        proc.log.unlink(missing_ok=True)
