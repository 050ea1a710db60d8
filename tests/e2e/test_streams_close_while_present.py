"""Closing an alarm while its hazard persists, against a real worker (issue 16 item 4)."""

from __future__ import annotations

import pytest

from schemas.events import AlarmRaised, Closed, CommandRejected
from tests.integration.streams.fixtures import StartWorker
from tests.integration.streams.harness import Wire, rid

pytestmark = pytest.mark.e2e
LEAK = {"concentration": 30.0, "unit": "%LEL"}


def raise_leak(wire: Wire, device: str, enterprise: str) -> str:
    wire.reading(device, enterprise, LEAK)
    events = wire.wait_for(
        lambda events: any(isinstance(e, AlarmRaised) and e.device_id == device for e in events)
    )
    return next(e.alarm_id for e in events if e.device_id == device)


def test_a_close_while_the_gas_is_present_is_rejected_and_after_a_device_fault_it_recurs(
    start_worker: StartWorker, wire: Wire
) -> None:
    start_worker()
    enterprise, real, faulty = rid("E"), rid("gd-"), rid("gd-")
    leak, fault = raise_leak(wire, real, enterprise), raise_leak(wire, faulty, enterprise)
    for kind in ("acknowledge", "dispatch"):
        wire.command(real, kind, leak)
        wire.command(faulty, kind, fault)
    wire.command(real, "resolve", leak, cause="real_leak")
    refused = wire.command(real, "close", leak)
    wire.command(faulty, "resolve", fault, cause="device_fault")
    wire.command(faulty, "close", fault)
    events = wire.wait_for(
        lambda events: any(isinstance(e, CommandRejected) for e in events)
        and any(isinstance(e, Closed) for e in events)
    )
    rejected = next(e for e in events if isinstance(e, CommandRejected))
    assert (rejected.alarm_id, rejected.command_id) == (leak, refused)
    assert rejected.reason == "condition_active"
    assert [e.alarm_id for e in events if isinstance(e, Closed)] == [fault]

    # The faulty detector still reads the gas: its next reading is a new occurrence.
    wire.reading(faulty, enterprise, LEAK)
    events = wire.wait_for(
        lambda events: sum(isinstance(e, AlarmRaised) and e.device_id == faulty for e in events)
        == 2
    )
    follow_up = [e for e in events if isinstance(e, AlarmRaised) and e.device_id == faulty][-1]
    assert follow_up.alarm_id != fault and follow_up.follows_alarm_id == fault
    assert follow_up.seq == 1
    wire.settle(quiet_s=2)
    assert [e.type for e in wire.of(real)][-1] == "CommandRejected"
