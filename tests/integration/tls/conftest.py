"""TLS on the shared stack's broker: its CA issues the tests' client certificates (random ids),
and each test's certificate identities are taken off the broker's ACL after it."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from deploy.stack import certs, mosquitto
from deploy.stack.config import StackConfig
from ingest.tls import tls_context
from schemas.settings import Endpoints
from tests.integration.ingest.conftest import (  # noqa: F401  (fixtures used by this folder)
    gateways,
    reader,
    site,
)
from tests.integration.registry.conftest import registry_cli  # noqa: F401  (a fixture)

Issue = Callable[..., ssl.SSLContext]


@pytest.fixture
def authority(stack: Endpoints, stack_config: StackConfig) -> certs.Authority:
    return certs.Authority(stack_config.tls)


@pytest.fixture
def issue(authority: certs.Authority) -> Iterator[Issue]:
    """Factory: `issue(identity, days=1, valid_from=None)` -> a client TLS context holding a
    certificate of the stack's CA with CN = identity; its files are removed after the test."""
    made: list[certs.ClientFiles] = []

    def make(identity: str, days: int = 1, valid_from: datetime | None = None) -> ssl.SSLContext:
        files = authority.issue(identity, days, valid_from=valid_from)
        made.append(files)
        return tls_context(str(files.ca), str(files.cert), str(files.key))

    yield make
    for files in made:
        files.cert.unlink(missing_ok=True)
        files.key.unlink(missing_ok=True)


@pytest.fixture
def identities(stack_config: StackConfig) -> Iterator[Callable[[dict[str, list[str]]], None]]:
    """Factory: grant certificate identities their topics on the broker; removed after."""
    granted: list[str] = []

    def grant(topics: dict[str, list[str]]) -> None:
        mosquitto.upsert_identities(stack_config, topics)
        granted.extend(topics)

    yield grant
    if granted:
        mosquitto.remove_identities(stack_config, granted)


def trusting(ca: Path | None) -> ssl.SSLContext:
    """A client context that trusts `ca` only (None: the system's CAs)."""
    return tls_context(str(ca) if ca else "")
