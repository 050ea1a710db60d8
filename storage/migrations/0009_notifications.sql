-- Outbound notifications (issue 18). Everything a notifications process knows lives here, so a
-- restart or a second alerts process neither repeats nor skips a message.
--
-- `notification_outbox`: one row per alarm event (or reminder round) per contact; its key is the
-- de-duplication key, so a redelivered event inserts nothing. A row is `pending` until the
-- channel accepted it (`sent`), its last attempt failed (`dead`, with a dead letter), or the
-- flapping limit held it back (`held`: counted in the summary, never sent on its own).
CREATE TABLE notification_outbox (
    key             text PRIMARY KEY,
    channel         text        NOT NULL,
    contact         text        NOT NULL,
    alarm_id        text        NOT NULL,
    event_id        text        NOT NULL,
    payload         jsonb       NOT NULL,
    state           text        NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'dead', 'held')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX notification_outbox_alarm ON notification_outbox (alarm_id);

-- What an admin sees and may retry (the console's dead-letter page).
CREATE TABLE notification_dead_letters (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key        text        NOT NULL REFERENCES notification_outbox (key),
    channel    text        NOT NULL,
    contact    text        NOT NULL,
    alarm_id   text        NOT NULL,
    event_id   text        NOT NULL,
    payload    jsonb       NOT NULL,
    last_error text        NOT NULL,
    attempts   integer     NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Reminders until signed for: one row per notified alarm; `round` reminders went out so far.
-- A stopped row stays, so a redelivered AlarmRaised cannot start the reminders again.
CREATE TABLE notification_reminders (
    alarm_id   text PRIMARY KEY,
    division   char(12)    NOT NULL,
    family     text        NOT NULL,
    severity   text        NOT NULL,
    message    jsonb       NOT NULL,
    round      integer     NOT NULL DEFAULT 0,
    next_at    timestamptz NOT NULL,
    stopped_at timestamptz
);
CREATE INDEX notification_reminders_due ON notification_reminders (next_at)
    WHERE stopped_at IS NULL;

-- Flapping: per contact and device, the alarm messages sent and held in the current window.
CREATE TABLE notification_flaps (
    contact      text        NOT NULL,
    device_id    text        NOT NULL,
    channel      text        NOT NULL,
    window_start timestamptz NOT NULL,
    sent         integer     NOT NULL DEFAULT 0,
    held         integer     NOT NULL DEFAULT 0,
    -- The last held message: the summary names its device, enterprise and township.
    message      jsonb,
    PRIMARY KEY (contact, device_id)
);
