from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from storage.batches import store_bisecting


class SavepointConnection:
    """Just enough of a connection: savepoints that roll back the writes made inside them."""

    def __init__(self) -> None:
        self.stored: list[int] = []

    @contextmanager
    def transaction(self) -> Iterator[None]:
        mark = len(self.stored)
        try:
            yield
        except Exception:
            del self.stored[mark:]
            raise


def _writer(poison: set[int]) -> Any:
    def write(conn: SavepointConnection, items: Sequence[int]) -> int:
        conn.stored.extend(items)
        if poison & set(items):
            raise psycopg.DataError("bad row")
        return len(items)

    return write


def test_the_poison_rows_are_isolated_and_every_neighbour_is_stored() -> None:
    conn = SavepointConnection()
    dead: list[int] = []
    items = list(range(37))
    stored = store_bisecting(conn, items, _writer({3, 4, 30}), lambda i, _: dead.append(i))  # type: ignore[arg-type]
    assert dead == [3, 4, 30]
    assert sorted(conn.stored) == [i for i in items if i not in {3, 4, 30}]
    assert stored == 34


def test_a_clean_batch_is_written_in_one_piece() -> None:
    conn = SavepointConnection()
    calls: list[int] = []

    def write(c: SavepointConnection, items: Sequence[int]) -> int:
        calls.append(len(items))
        return len(items)

    assert store_bisecting(conn, list(range(10)), write, lambda *_: None) == 10  # type: ignore[arg-type]
    assert calls == [10]


def test_a_connection_error_is_not_mistaken_for_a_poison_row() -> None:
    conn = SavepointConnection()

    def write(c: SavepointConnection, items: Sequence[int]) -> int:
        raise psycopg.OperationalError("server closed the connection")

    try:
        store_bisecting(conn, [1, 2], write, lambda *_: None)  # type: ignore[arg-type]
    except psycopg.OperationalError:
        return
    raise AssertionError("the connection error was swallowed")
