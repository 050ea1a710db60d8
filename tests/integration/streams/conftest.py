from __future__ import annotations

from tests.integration.streams.fixtures import start_worker, wire

__all__ = ["start_worker", "wire"]
