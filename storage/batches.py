"""Storing a batch so that one poison row cannot block its neighbours.

The whole batch is tried in a savepoint; when the database refuses it for a data or
constraint error, the batch is split in halves and each half retried the same way, until the
offending rows stand alone and are handed to `on_poison`. Good rows and the dead letters then
commit together in the caller's transaction. Connection errors are not caught: they abort the
transaction and the caller retries the whole batch (nothing was committed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import psycopg

T = TypeVar("T")

POISON_ERRORS = (psycopg.DataError, psycopg.IntegrityError)


def store_bisecting(
    conn: psycopg.Connection,
    items: Sequence[T],
    write: Callable[[psycopg.Connection, Sequence[T]], int],
    on_poison: Callable[[T, Exception], None],
) -> int:
    """Write `items`; return how many rows `write` reported stored."""
    if not items:
        return 0
    try:
        with conn.transaction():
            return write(conn, items)
    except POISON_ERRORS as exc:
        if len(items) == 1:
            on_poison(items[0], exc)
            return 0
    middle = len(items) // 2
    return store_bisecting(conn, items[:middle], write, on_poison) + store_bisecting(
        conn, items[middle:], write, on_poison
    )
