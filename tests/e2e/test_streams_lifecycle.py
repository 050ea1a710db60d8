"""Handling an alarm to closure through hw.alarm-commands.v1, against a real worker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from schemas.events import (
    Acknowledged,
    AlarmRaised,
    Closed,
    CommandRejected,
    Dispatched,
    Resolved,
    Suppressed,
)
from tests.integration.streams.fixtures import StartWorker
from tests.integration.streams.harness import Wire, rid
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e


def raise_trapped(connection: Wire, device: str, enterprise: str) -> AlarmRaised:
    connection.reading(device, enterprise, {"event": "trapped"}, family="elevator", channel="event")
    events = connection.wait_for(
        lambda events: any(isinstance(e, AlarmRaised) and e.device_id == device for e in events)
    )
    return next(e for e in events if isinstance(e, AlarmRaised) and e.device_id == device)


def wait_for_metric(worker: ServiceProcess, sample: str, count: int) -> None:
    """Readings and commands travel on different topics: their relative order is only known
    once the worker says it has applied the first."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        metrics = httpx.get(f"http://127.0.0.1:{worker.port}/metrics").text
        line = next((ln for ln in metrics.splitlines() if ln.startswith(sample + " ")), None)
        if line is not None and float(line.rsplit(" ", 1)[1]) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"{sample} did not reach {count} in 30 s")


def test_an_alarm_is_handled_to_closure_and_an_early_close_is_rejected(
    start_worker: StartWorker, wire: Wire
) -> None:
    start_worker()
    device, enterprise = rid("el-"), rid("E")
    alarm = raise_trapped(wire, device, enterprise).alarm_id
    early = wire.command(device, "close", alarm)
    for kind in ("acknowledge", "dispatch"):
        wire.command(device, kind, alarm, assignee="rescue-team")
    wire.command(device, "resolve", alarm, cause="real_leak")
    wire.command(device, "close", alarm)
    wire.wait_for(lambda events: any(isinstance(e, Closed) for e in events))
    mine = [e for e in wire.settle() if e.alarm_id == alarm]
    assert [type(e) for e in mine] == [
        AlarmRaised,
        CommandRejected,
        Acknowledged,
        Dispatched,
        Resolved,
        Closed,
    ]
    assert [e.seq for e in mine] == [1, 2, 3, 4, 5, 6]
    rejected = mine[1]
    assert isinstance(rejected, CommandRejected) and rejected.command_id == early
    assert rejected.reason.startswith("wrong_state")


def test_an_alarm_inside_a_declared_maintenance_window_is_recorded_as_suppressed(
    start_worker: StartWorker, wire: Wire
) -> None:
    worker = start_worker()
    device, enterprise = rid("el-"), rid("E")
    now = datetime.now(UTC)
    window = {
        "window_id": rid("mw-"),
        "start": (now - timedelta(minutes=1)).isoformat(),
        "end": (now + timedelta(hours=1)).isoformat(),
        "reason": "annual inspection",
    }
    # The device must be known before its owner can declare a window for it.
    wire.reading(device, enterprise, {}, family="elevator", channel="heartbeat")
    wait_for_metric(worker, 'hazardwatch_streams_readings_processed_total{family="elevator"}', 1)
    wire.command(
        device, "declare_maintenance", None, role="enterprise", scope=enterprise, window=window
    )
    wait_for_metric(worker, "hazardwatch_streams_commands_processed_total", 1)
    raised = raise_trapped(wire, device, enterprise)
    events = wire.wait_for(lambda events: any(isinstance(e, Suppressed) for e in events))
    suppressed = next(e for e in events if isinstance(e, Suppressed))
    assert raised.suppressed_window == window["window_id"]
    assert (suppressed.alarm_id, suppressed.seq) == (raised.alarm_id, 2)
