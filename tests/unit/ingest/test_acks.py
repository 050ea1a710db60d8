"""OrderedAcks: PUBACKs in arrival order, only for messages whose every part Kafka confirmed,
handed over in one call per flush."""

from __future__ import annotations

from ingest.acks import OrderedAcks


def _acks() -> tuple[OrderedAcks, list[list[int]], list[str]]:
    sent: list[list[int]] = []
    woken: list[str] = []
    return OrderedAcks(sent.append, lambda: woken.append("ready")), sent, woken


def test_a_message_confirmed_early_waits_for_the_ones_received_before_it() -> None:
    acks, sent, _ = _acks()
    first, second = acks.received(1, 1), acks.received(2, 1)
    acks.part_done(second)
    assert acks.flush() == 0
    acks.part_done(first)
    assert acks.flush() == 2
    assert sent == [[1, 2]]


def test_a_batch_is_acknowledged_only_after_its_last_part() -> None:
    acks, sent, _ = _acks()
    batch = acks.received(7, 3)
    acks.part_done(batch)
    acks.part_done(batch)
    acks.flush()
    assert sent == []
    acks.part_done(batch)
    acks.flush()
    assert sent == [[7]]


def test_the_acker_is_woken_once_per_run_of_ready_messages() -> None:
    acks, _, woken = _acks()
    pendings = [acks.received(mid, 1) for mid in range(1, 4)]
    for pending in pendings:
        acks.part_done(pending)
    assert woken == ["ready"]
    acks.flush()
    acks.part_done(acks.received(9, 1))
    assert woken == ["ready", "ready"]


def test_after_a_reset_nothing_of_the_old_connection_is_acknowledged() -> None:
    acks, sent, _ = _acks()
    old = acks.received(1, 1)
    ready = acks.received(2, 0)
    assert ready.remaining == 0
    assert acks.reset() == 2
    acks.part_done(old)
    assert acks.flush() == 0
    assert sent == []
    assert len(acks) == 0


def test_the_parts_of_one_kafka_batch_are_done_together_and_in_order() -> None:
    acks, sent, _ = _acks()
    batch, single, old = acks.received(1, 2), acks.received(2, 1), acks.received(3, 1)
    acks.reset()  # `old`'s connection is gone...
    new = acks.received(4, 1)
    acks.parts_done([new, batch, single, old])  # ...so its part counts for nothing
    acks.flush()
    assert sent == [[4]]
    assert batch.remaining == 2 and single.remaining == 1
