from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.datastore import Datastore
from storage.projections import ProjectionStore
from streams.projections import fold_alarms, fold_devices
from tests.integration.storage.builders import alarm_history, rid
from tests.integration.storage.seeding import store_alarm_events

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def test_the_live_projections_equal_a_fold_of_the_log_and_survive_a_rebuild(
    store: Datastore,
) -> None:
    device = rid("d-")
    events = [
        *alarm_history(device_id=device, raised_at=T0, ack_after=timedelta(minutes=1),
                       close_after=timedelta(hours=2)),
        *alarm_history(device_id=device, raised_at=T0 + timedelta(hours=3), condition="offline",
                       close_after=timedelta(hours=1)),
        *alarm_history(device_id=rid("d-"), raised_at=T0 + timedelta(hours=4), supervised=True),
    ]  # fmt: skip
    store_alarm_events(store, events)
    projections = ProjectionStore(store)
    expected_alarms = sorted(
        (v.model_dump(mode="json") for v in fold_alarms(events).values()),
        key=lambda v: v["alarm_id"],
    )
    expected_devices = [v.model_dump(mode="json") for v in fold_devices(events).values()]
    assert projections.load_alarms() == expected_alarms
    assert projections.load_device_status() == expected_devices

    projections.rebuild(expected_alarms[:1], [])
    assert projections.load_alarms() == expected_alarms[:1]
    assert projections.load_device_status() == []
    projections.rebuild(expected_alarms, expected_devices)
    assert projections.load_alarms() == expected_alarms
