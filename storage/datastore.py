"""The one way storage/ talks to PostgreSQL: a pooled connection inside one transaction.

Only connection-level failures (`OperationalError`, `InterfaceError`) are retried: they mean
the transaction never committed, so running it again is safe. Anything else (a constraint
violation, a bad statement) is the caller's to handle and is raised at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import psycopg
from psycopg_pool import ConnectionPool

from storage.errors import DatabaseUnavailable

T = TypeVar("T")

RETRYABLE = (psycopg.OperationalError, psycopg.InterfaceError)


class Datastore:
    """Owns a connection pool; `transaction()` lends a connection inside one transaction."""

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 8,
        attempts: int = 5,
        backoff_s: float = 0.2,
    ) -> None:
        self.url = url
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=True,
            # Broken connections (server restart) are replaced instead of handed out.
            check=ConnectionPool.check_connection,
        )

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """A connection inside one transaction: committed on exit, rolled back on error."""
        with self.pool.connection() as conn, conn.transaction():
            yield conn

    def run(self, work: Callable[[psycopg.Connection], T]) -> T:
        """`work(conn)` in one transaction, retried on connection errors only.

        `work` must be safe to run again from the start: it is, when it only touches the
        database through `conn` (a failed attempt committed nothing).
        """
        for attempt in range(1, self.attempts + 1):
            try:
                with self.transaction() as conn:
                    return work(conn)
            except RETRYABLE as exc:
                if attempt == self.attempts:
                    raise DatabaseUnavailable(self.attempts) from exc
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
        raise DatabaseUnavailable(self.attempts)

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Datastore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
