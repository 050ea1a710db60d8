"""The agents' intake: batches admitted from stored positions, positions named for saving."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from streams.intake import Intake
from streams.lag import Partition, Progress
from streams.positions import encode_position, position_key, stored_position
from streams.processor import Message


class MemoryTable:
    """A `StateTable` fake: a dict."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        return list(self.data.items())

    async def put(self, key: bytes, value: bytes, partition: int) -> None:
        self.data[key] = value

    def revoked(self, partitions: Iterable[int]) -> None:
        """Everything is stored at once here: nothing to forget."""


@dataclass
class FakeMessage:
    topic: str
    partition: int
    offset: int


@dataclass
class FakeEvent:
    message: FakeMessage
    key: bytes
    value: bytes


def events(topic: str, partition: int, offsets: Iterable[int]) -> list[FakeEvent]:
    return [FakeEvent(FakeMessage(topic, partition, o), b"k", str(o).encode()) for o in offsets]


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.batches: list[tuple[list[Message], dict[Partition, int]]] = []
        self.fail = fail

    async def __call__(self, batch: Sequence[Message], positions: Mapping[Partition, int]) -> None:
        self.batches.append((list(batch), dict(positions)))
        if self.fail:
            raise ConnectionError("broker gone")


def test_a_restarted_intake_resumes_at_the_stored_position_and_drops_what_came_before() -> None:
    table = MemoryTable()
    table.data[position_key("readings", 2)] = encode_position(7)
    intake, apply = Intake("devices", table, Progress()), Recorder()
    asyncio.run(intake.take(events("readings", 2, range(4, 10)), apply))
    [(batch, positions)] = apply.batches
    assert [value for _, _, value, _ in batch] == [b"7", b"8", b"9"]
    assert positions == {("readings", 2): 10}


def test_messages_past_the_stored_position_are_held_back_as_a_hole() -> None:
    table = MemoryTable()
    table.data[position_key("readings", 0)] = encode_position(100)
    progress = Progress(quiet_s=0.0)
    intake, apply = Intake("devices", table, progress), Recorder()
    # faust committed past 100..119 without handing them over: nothing is applied.
    asyncio.run(intake.take(events("readings", 0, range(120, 125)), apply))
    assert apply.batches == []
    [(tp, missed)] = progress.holes_to_mend(now=1e12)
    assert (tp, missed) == (("readings", 0), 100)


def test_a_partition_never_processed_starts_at_the_log_start() -> None:
    table = MemoryTable()
    assert stored_position(table, "ticks", 5) == 0
    progress = Progress()
    Intake("devices", table, progress).start(("ticks", 5))
    assert progress.next_offset(("ticks", 5)) == 0


def test_a_batch_that_fails_to_save_is_rewound_to_its_first_offsets() -> None:
    progress = Progress(quiet_s=0.0)
    intake = Intake("devices", MemoryTable(), progress)
    asyncio.run(intake.take(events("readings", 1, [0, 1, 2]), Recorder(fail=True)))
    assert progress.next_offset(("readings", 1)) == 0
    assert progress.holes_to_mend(now=1e12) == [(("readings", 1), 0)]


def test_outputs_are_delivered_before_states_and_states_are_saved_before_positions() -> None:
    from pydantic import BaseModel

    from streams.processor import deliver_then_save

    class State(BaseModel):
        n: int

    order: list[str] = []

    class OrderedTable(MemoryTable):
        async def put(self, key: bytes, value: bytes, partition: int) -> None:
            order.append(f"put {key!r} p{partition}")
            await super().put(key, value, partition)

    async def delivered() -> None:
        order.append("delivered")

    async def run() -> None:
        await deliver_then_save(
            OrderedTable(), [delivered()], {b"dev-1": (State(n=1), 4)}, {("readings", 4): 9}
        )

    asyncio.run(run())
    assert order == [
        "delivered", "put b'dev-1' p4", f"put {position_key('readings', 4)!r} p4",
    ]
