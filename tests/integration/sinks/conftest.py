"""The sink tests' databases, like the storage tests', have no TimescaleDB job scheduler."""

from tests.integration.storage.conftest import database_url

__all__ = ["database_url"]
