"""Each input partition's processed position, kept in the state table beside the states.

faust's own committed offset cannot be trusted as the point to resume from: around a
rebalance it acks messages it skipped without handing them to the agent (an old generation,
flow stopped) and counts offsets it never delivered as gaps, so it can commit past messages
no agent saw. The worker therefore writes, after every batch, the next offset of each
partition the batch touched into that partition's changelog, after the batch's states. The
changelog keeps a partition's records in order, so a stored position implies the states of
every message before it are stored too, and those messages' events were delivered first
(`processor.deliver_then_save`). On assignment the agents resume from this position; a
message faust hands over past it is a hole, one before it was already done.
"""

from __future__ import annotations

from streams.tables import StateTable

# Device ids match ^[A-Za-z0-9_-]{1,64}$ and site keys start "site:": neither starts with NUL.
_PREFIX = b"\x00position|"


def position_key(topic: str, partition: int) -> bytes:
    return _PREFIX + f"{topic}|{partition}".encode()


def is_position_key(key: bytes) -> bool:
    return key.startswith(_PREFIX)


def stored_position(table: StateTable, topic: str, partition: int) -> int:
    """The next offset to process; 0 (the log's start) for a partition never processed."""
    raw = table.get(position_key(topic, partition))
    return 0 if raw is None else int(raw)


def encode_position(next_offset: int) -> bytes:
    return str(next_offset).encode()
