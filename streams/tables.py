"""The worker's state tables: a faust table whose changelog records go out in write order.

faust's own `table[key] = value` queues the changelog record in a buffer of its own, flushed
in the background, so its records can trail the worker's other writes. Here each record is
handed straight to the Kafka producer, in the order the worker writes them: a batch's states,
then its partitions' positions (`streams.positions`). Records of one changelog partition keep
that order, so a stored position always implies the states written before it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol


class StateTable(Protocol):
    """Per-key state that survives a worker: read locally, written durably."""

    def get(self, key: bytes) -> bytes | None: ...

    def items(self) -> Iterable[tuple[bytes, bytes]]: ...

    async def put(self, key: bytes, value: bytes, partition: int) -> None:
        """Stores the value; its changelog record is on its way before this returns."""


Send = Callable[[bytes, bytes, int], Awaitable[Any]]  # key, value, partition -> queued


class ChangelogTable:
    """Adapts a faust `Table` of raw bytes to `StateTable`; `send` queues a record on the
    table's changelog topic with the producer."""

    def __init__(self, table: Any, send: Send) -> None:
        self._table, self._send = table, send

    def get(self, key: bytes) -> bytes | None:
        value: bytes | None = self._table.get(key)
        return value

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        return list(self._table.items())

    async def put(self, key: bytes, value: bytes, partition: int) -> None:
        # The same record faust would write (raw key and value, the input's partition), sent
        # without its buffer; the store is then set directly so faust does not send it again.
        await self._send(key, value, partition)
        self._table.data[key] = value
