"""The worker's state tables: a faust table whose changelog records go out in write order.

faust's own `table[key] = value` queues the changelog record in a buffer of its own, flushed
in the background, so its records can trail the worker's other writes. Here each record is
handed straight to the Kafka producer, in the order the worker writes them: a batch's states,
then its partitions' positions (`streams.positions`). Records of one changelog partition keep
that order, so a stored position always implies the states written before it.

Two stores: `ChangelogTable` over faust's memory store (every start replays the whole
changelog) and `LocalTable` over its RocksDB store, kept on disk between restarts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

import rocksdict

log = logging.getLogger(__name__)


class StateTable(Protocol):
    """Per-key state that survives a worker: read locally, written durably."""

    def get(self, key: bytes) -> bytes | None: ...

    def items(self) -> Iterable[tuple[bytes, bytes]]: ...

    async def put(self, key: bytes, value: bytes, partition: int) -> None:
        """Stores the value; its changelog record is on its way before this returns."""

    def revoked(self, partitions: Iterable[int]) -> None:
        """The partitions moved away: forget what of them is not stored yet."""


# key, value, partition -> the broker's acknowledgement to come (an asyncio future)
Send = Callable[[bytes, bytes, int], Awaitable[Any]]


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

    def revoked(self, partitions: Iterable[int]) -> None:
        pass  # faust's memory store drops revoked partitions itself


class LocalTable:
    """Adapts a faust `Table` on the RocksDB store to `StateTable`, so that what is on disk is
    always a prefix of the changelog: a record is written locally only once the broker has
    acknowledged it, together (one write batch) with its changelog offset as faust's persisted
    offset. A restarted worker then replays exactly the changelog's tail from that offset, and
    never holds a state (or a position) the changelog lacks. Until acknowledged, a value is
    served from memory (`_pending`), so the worker reads its own writes at once.

    faust's own read and write paths are bypassed: they take the partition from the current
    event, and an agent's batch spans partitions."""

    def __init__(self, table: Any, send: Send) -> None:
        self._table, self._send = table, send
        self._pending: dict[bytes, tuple[bytes, int]] = {}
        # Bumped when a partition is revoked: an acknowledgement of an older generation must
        # not write into a partition that faust has since restored afresh.
        self._generation: dict[int, int] = {}

    @property
    def _store(self) -> Any:
        return self._table.data

    def get(self, key: bytes) -> bytes | None:
        pending = self._pending.get(key)
        if pending is not None:
            return pending[0]
        found = self._store._get_bucket_for_key(key)  # the key index, else every open partition
        return None if found is None else bytes(found.value)

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        stored: dict[bytes, bytes] = {}
        for db in list(self._store._dbs.values()):
            stored.update(self._store._visible_items(db))
        stored.update((key, value) for key, (value, _) in self._pending.items())
        return list(stored.items())

    async def put(self, key: bytes, value: bytes, partition: int) -> None:
        generation = self._generation.get(partition, 0)
        self._pending[key] = (value, partition)
        acked = await self._send(key, value, partition)
        acked.add_done_callback(
            lambda done: self._acknowledged(done, key, value, partition, generation)
        )

    def _acknowledged(
        self, done: asyncio.Future[Any], key: bytes, value: bytes, partition: int, generation: int
    ) -> None:
        if done.cancelled() or done.exception() is not None:
            # Kept in memory only, as the memory store would: the position after it is not
            # acknowledged either in that case, so a restart resumes before it.
            log.warning("changelog record for partition %d not acknowledged: %r", partition,
                        None if done.cancelled() else done.exception())
            return
        if self._generation.get(partition, 0) != generation:
            return
        if self._pending.get(key, (None, 0))[0] is value:
            del self._pending[key]
        store = self._store
        db = store._dbs.get(partition)
        if db is None:  # not open here any more
            return
        batch = rocksdict.WriteBatch(raw_mode=True)
        batch.put(key, value)
        batch.put(store.offset_key, str(done.result().offset).encode())
        db.write(batch)
        store._key_index[key] = partition

    def revoked(self, partitions: Iterable[int]) -> None:
        gone = set(partitions)
        for partition in gone:
            self._generation[partition] = self._generation.get(partition, 0) + 1
        for key in [k for k, (_, p) in self._pending.items() if p in gone]:
            del self._pending[key]
