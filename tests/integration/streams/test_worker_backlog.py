"""A worker starting behind a backlog does not take devices whose readings are still waiting
in it for silent ones: offline is judged on the partition's own clock until it caught up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.streams.fixtures import StartWorker, start_worker, wire  # noqa: F401
from tests.integration.streams.harness import Wire, envelope, gas_site

pytestmark = pytest.mark.integration
OFFLINE_AFTER_S = 10


def test_a_backlog_older_than_the_offline_time_raises_no_offline_alarm_while_it_drains(
    start_worker: StartWorker,  # noqa: F811
    wire: Wire,  # noqa: F811
    tmp_path: Path,
) -> None:
    # 200 s of readings, one a second from 300 devices, all waiting before the worker starts:
    # on the wall clock, most of them look silent for far longer than 10 s.
    enterprise, devices, registry = gas_site(tmp_path, 300, OFFLINE_AFTER_S)
    start = datetime.now(UTC) - timedelta(seconds=200)
    for second in range(200):
        at = start + timedelta(seconds=second)
        for device in devices:
            wire.send_raw(device, envelope(device, enterprise, second + 1, at,
                                           {"concentration": 1.0}, received_at=at))
    wire.producer.flush()
    last = start + timedelta(seconds=199)

    start_worker(registry_file=registry)
    # They did all stop at `last`: each goes offline once, dated by its real deadline (the site
    # alarm may stand for them), and none of them comes back.
    events = wire.wait_for(lambda events: len({
        e.device_id for e in events if e.condition == "offline" and e.type == "AlarmRaised"
    }) >= len(devices), timeout=180)
    events = wire.settle(quiet_s=5)
    offline = [e for e in events if e.condition == "offline"]
    raised = [e for e in offline if e.type == "AlarmRaised"]
    assert sorted(e.device_id for e in raised) == sorted(devices)
    assert {e.occurred_at for e in raised} == {last + timedelta(seconds=OFFLINE_AFTER_S)}
    assert [e for e in offline if e.type == "ConditionCleared"] == []
