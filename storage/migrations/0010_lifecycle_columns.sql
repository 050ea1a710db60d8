-- Alarm lifecycle additions (issues 14 and 16), as columns beside the projections' `view`:
-- the supervision deadline (the supervised list sorts by it), the alarm a follow-up occurrence
-- continues (closed while its condition still held), and the presence episode a device's
-- status comes from (DeviceWentOffline / DeviceCameOnline, no longer its offline alarm).
ALTER TABLE alarms
    ADD COLUMN supervision_due_at timestamptz,
    ADD COLUMN follows_alarm_id text;
-- Supervised alarms are few: a partial index keeps their list one index range read.
CREATE INDEX alarms_supervised_due ON alarms (supervision_due_at, raised_at DESC)
    WHERE supervised;
ALTER TABLE device_status ADD COLUMN episode_id text;
