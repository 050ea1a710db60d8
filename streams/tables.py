"""The worker's state tables: a faust table whose changelog writes are ordered before commits.

faust's own `table[key] = value` queues the changelog record in its producer buffer, whose
flush before an offset commit gives up after 0.1 s: under a burst an input offset could be
committed while the changelog record of that very message was still queued, and a `kill -9`
would then restore a state older than the committed position. Here the record is handed
straight to the Kafka producer's accumulator, which the commit path flushes completely
(`Producer.flush` before `Consumer._commit`), so a committed offset always implies a stored
changelog record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol


class StateTable(Protocol):
    """Per-key state that survives a worker: read locally, written durably."""

    def get(self, key: bytes) -> bytes | None: ...

    def items(self) -> Iterable[tuple[bytes, bytes]]: ...

    async def put(self, key: bytes, value: bytes, partition: int) -> None:
        """Stores the value; its changelog record is on its way before this returns."""


class ChangelogTable:
    """Adapts a faust `Table` of raw bytes to `StateTable`."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, key: bytes) -> bytes | None:
        value: bytes | None = self._table.get(key)
        return value

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        return list(self._table.items())

    async def put(self, key: bytes, value: bytes, partition: int) -> None:
        # The same record faust would write (raw key and value, the input's partition), sent
        # without its buffer; the store is then set directly so faust does not send it again.
        await self._table.changelog_topic.send(
            key=key, value=value, partition=partition,
            key_serializer="raw", value_serializer="raw",
        )
        self._table.data[key] = value
