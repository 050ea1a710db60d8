-- The alarm event log, its projections, device online/offline intervals and dead letters.
--
-- alarm_events stays a plain table in both modes: it must enforce `event_id` and
-- `(alarm_id, seq)` unique across all time (the idempotency contract of the sink), and a
-- TimescaleDB hypertable can only enforce unique keys that include its time column. Alarms are
-- rare next to readings (thousands a day for a county), so a B-tree on occurred_at serves it.

CREATE TABLE alarm_events (
    position      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      text        NOT NULL UNIQUE,
    alarm_id      text        NOT NULL,
    seq           integer     NOT NULL,
    type          text        NOT NULL,
    occurred_at   timestamptz NOT NULL,
    device_id     text        NOT NULL,
    enterprise_id text        NOT NULL,
    division      text        NOT NULL,
    family        text        NOT NULL,
    condition     text        NOT NULL,
    severity      text,
    body          jsonb       NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
-- seq 0 is a CommandRejected about an unknown alarm: outside every alarm's history.
CREATE UNIQUE INDEX alarm_events_alarm_seq ON alarm_events (alarm_id, seq) WHERE seq > 0;
CREATE INDEX alarm_events_occurred ON alarm_events (occurred_at);
CREATE INDEX alarm_events_division ON alarm_events (division text_pattern_ops, occurred_at);

-- Current state of every alarm (streams.projections.AlarmView); `view` keeps the whole model.
CREATE TABLE alarms (
    alarm_id         text PRIMARY KEY,
    device_id        text        NOT NULL,
    enterprise_id    text        NOT NULL,
    division         text        NOT NULL,
    family           text        NOT NULL,
    condition        text        NOT NULL,
    severity         text        NOT NULL,
    state            text        NOT NULL,
    cleared          boolean     NOT NULL,
    supervised       boolean     NOT NULL,
    suppressed       boolean     NOT NULL,
    escalation_level text        NOT NULL,
    raised_at        timestamptz NOT NULL,
    acknowledged_at  timestamptz,
    dispatched_at    timestamptz,
    resolved_at      timestamptz,
    closed_at        timestamptz,
    cause            text,
    assignee         text,
    last_seq         integer     NOT NULL,
    updated_at       timestamptz NOT NULL,
    view             jsonb       NOT NULL
);
CREATE INDEX alarms_newest ON alarms (raised_at DESC, alarm_id DESC);
CREATE INDEX alarms_division ON alarms (division text_pattern_ops, raised_at DESC);

-- Whether each device reports (streams.projections.DeviceStatusView).
CREATE TABLE device_status (
    device_id        text PRIMARY KEY,
    online           boolean     NOT NULL,
    since            timestamptz NOT NULL,
    last_offline_at  timestamptz,
    offline_episodes integer     NOT NULL,
    offline_alarm_id text,
    updated_at       timestamptz NOT NULL,
    view             jsonb       NOT NULL
);

-- One row per offline episode (its offline alarm); ended_at NULL while still offline.
-- Uptime is the complement of these intervals.
CREATE TABLE device_offline_intervals (
    alarm_id   text PRIMARY KEY,
    device_id  text        NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz
);
CREATE INDEX device_offline_intervals_device ON device_offline_intervals (device_id, started_at);

-- Rows the sink could not store, with the reason; the batch around them was stored.
CREATE TABLE dead_letters (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      text        NOT NULL,
    topic       text        NOT NULL,
    partition   integer,
    "offset"    bigint,
    reason      text        NOT NULL,
    detail      text        NOT NULL,
    raw         bytea       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
