"""Supervision (挂牌督办) with a deadline on the running pipeline: only the county lifts it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from schemas.events import AlarmRaised, CommandRejected, Supervised, SupervisionLifted
from schemas.settings import Endpoints
from tests.e2e.lifecycle_support import start_sink, wait_for_row
from tests.integration.streams.fixtures import StartWorker
from tests.integration.streams.harness import DIVISION, Wire, rid
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e


def test_a_county_supervision_with_a_deadline_is_lifted_by_the_county_not_the_township(
    start_worker: StartWorker,
    wire: Wire,
    endpoints: Endpoints,
    database_url: str,
    service_process: Callable[..., ServiceProcess],
) -> None:
    store = start_sink(endpoints, database_url, service_process)
    start_worker()
    device, enterprise = rid("el-"), rid("E")
    wire.reading(device, enterprise, {"event": "trapped"}, family="elevator", channel="event")
    events = wire.wait_for(lambda events: any(isinstance(e, AlarmRaised) for e in events))
    alarm = next(e.alarm_id for e in events if e.device_id == device)
    due = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    wire.command(device, "supervise", alarm, role="regulator", due_at=due.isoformat())
    row = wait_for_row(store.load_alarms, lambda a: a["alarm_id"] == alarm and a["supervised"])
    assert datetime.fromisoformat(row["supervision_due_at"]) == due

    township = wire.command(device, "lift_supervision", alarm, role="monitor")
    wire.command(device, "lift_supervision", alarm, role="regulator", scope=DIVISION[:6])
    events = wire.wait_for(lambda events: any(isinstance(e, SupervisionLifted) for e in events))
    mine = [e for e in events if e.alarm_id == alarm]
    assert [type(e) for e in mine] == [AlarmRaised, Supervised, CommandRejected, SupervisionLifted]
    refused = mine[2]
    assert isinstance(refused, CommandRejected)
    assert (refused.command_id, refused.reason) == (township, "not_county")
    row = wait_for_row(store.load_alarms, lambda a: a["alarm_id"] == alarm and a["last_seq"] == 4)
    assert (row["supervised"], row["supervision_due_at"]) == (False, None)
