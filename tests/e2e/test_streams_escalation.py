"""Escalation on the running pipeline: a worker with short deadlines lets them pass for real."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from schemas.events import AlarmRaised, Escalated
from schemas.settings import Endpoints
from tests.e2e.lifecycle_support import start_sink, wait_for_row
from tests.integration.streams.fixtures import StartWorker
from tests.integration.streams.harness import Wire, rid
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e
SHORT = {"HW_DEADLINE_RED_ACK_S": "3", "HW_DEADLINE_RED_RESOLVE_S": "6"}


def test_an_unacknowledged_red_alarm_escalates_to_the_county_then_to_the_city(
    start_worker: StartWorker,
    wire: Wire,
    endpoints: Endpoints,
    database_url: str,
    service_process: Callable[..., ServiceProcess],
) -> None:
    store = start_sink(endpoints, database_url, service_process)
    start_worker(app_env=SHORT)
    device, enterprise = rid("el-"), rid("E")
    wire.reading(device, enterprise, {"event": "trapped"}, family="elevator", channel="event")
    events = wire.wait_for(
        lambda events: sum(isinstance(e, Escalated) and e.device_id == device for e in events) == 2,
        timeout=30,
    )
    raised = next(e for e in events if isinstance(e, AlarmRaised) and e.device_id == device)
    escalated = [e for e in events if isinstance(e, Escalated) and e.device_id == device]
    assert [(e.reason, e.level, e.seq) for e in escalated] == [
        ("ack_overdue", "county", 2),
        ("resolve_overdue", "city", 3),
    ]
    # Dated by the missed deadline itself, not by the timer run that noticed it.
    assert [(e.occurred_at - raised.occurred_at).total_seconds() for e in escalated] == [3, 6]
    row = wait_for_row(
        store.load_alarms, lambda a: a["alarm_id"] == raised.alarm_id and a["last_seq"] == 3
    )
    assert row["escalation_level"] == "city"


def test_an_acknowledgement_in_time_leaves_only_the_missed_resolution_to_escalate(
    start_worker: StartWorker,
    wire: Wire,
    endpoints: Endpoints,
    database_url: str,
    service_process: Callable[..., ServiceProcess],
) -> None:
    store = start_sink(endpoints, database_url, service_process)
    start_worker(app_env={"HW_DEADLINE_RED_ACK_S": "20", "HW_DEADLINE_RED_RESOLVE_S": "24"})
    device, enterprise = rid("el-"), rid("E")
    wire.reading(device, enterprise, {"event": "trapped"}, family="elevator", channel="event")
    events = wire.wait_for(
        lambda events: any(isinstance(e, AlarmRaised) and e.device_id == device for e in events)
    )
    alarm = next(e.alarm_id for e in events if e.device_id == device)
    wire.command(device, "acknowledge", alarm)
    events = wire.wait_for(
        lambda events: any(isinstance(e, Escalated) and e.device_id == device for e in events),
        timeout=40,
    )
    escalated = [e for e in wire.settle(quiet_s=2) if isinstance(e, Escalated)]
    assert [(e.reason, e.level) for e in escalated] == [("resolve_overdue", "city")]
    row = wait_for_row(store.load_alarms, lambda a: a["alarm_id"] == alarm and a["last_seq"] == 3)
    assert (row["state"], row["escalation_level"]) == ("acknowledged", "city")
