"""Errors raised by the storage adapter: one base so callers can map them in one place."""

from __future__ import annotations


class StorageError(Exception):
    """Base of every error storage/ raises."""


class DatabaseUnavailable(StorageError):
    """The database could not be reached after the allowed retries."""

    def __init__(self, attempts: int) -> None:
        super().__init__(f"database unavailable after {attempts} attempts")
        self.attempts = attempts


class MigrationFailed(StorageError):
    """A migration could not be applied; nothing of it was committed."""

    def __init__(self, name: str) -> None:
        super().__init__(f"migration {name} failed")
        self.name = name
