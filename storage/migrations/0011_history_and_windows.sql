-- Alarm history search (storage/history.py) and the record of declared maintenance windows.
--
-- Measured on 1 M alarms (report of issue 14): filtering one device or one enterprise walked
-- alarms_newest through most of the table (80-160 ms a page, a seq scan for a device), and
-- "open alarms of a township that has none" scanned all of it (230 ms). With these, each is
-- an index range read of one page.
CREATE INDEX alarms_device_newest ON alarms (device_id, raised_at DESC, alarm_id DESC);
CREATE INDEX alarms_enterprise_newest ON alarms (enterprise_id, raised_at DESC, alarm_id DESC);
-- Open alarms are a few thousand among millions: a partial index keeps them together.
CREATE INDEX alarms_open_newest ON alarms (division text_pattern_ops, raised_at DESC)
    WHERE state <> 'closed';

-- A window as declared over the API (alerts/api/maintenance.py): who, when, what. The stream
-- worker learns it from the declare_maintenance commands; this is the audit trail that the
-- township and the regulators read (DOMAIN section 3: a window is itself visible).
CREATE TABLE maintenance_windows (
    window_id     text PRIMARY KEY,
    reason        text        NOT NULL,
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL CHECK (ends_at > starts_at),
    declared_by   text        NOT NULL,
    declared_role text        NOT NULL,
    declared_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX maintenance_windows_newest ON maintenance_windows (starts_at DESC);

-- Its devices, with the enterprise, division and family they had when declared, so a scope
-- filter needs no join and a window shows only the devices the reader may see.
CREATE TABLE maintenance_window_devices (
    window_id     text NOT NULL REFERENCES maintenance_windows (window_id),
    device_id     text NOT NULL,
    enterprise_id text NOT NULL,
    division      text NOT NULL,
    family        text NOT NULL,
    PRIMARY KEY (window_id, device_id)
);
CREATE INDEX maintenance_window_devices_division
    ON maintenance_window_devices (division text_pattern_ops);
