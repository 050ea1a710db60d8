-- The last week of `hw.rejected.v1`, for integrators (GET /api/v1/rejections): why a device's
-- messages are refused, without access to Kafka. Filled by streams/sinks/rejections.py; the
-- Kafka position is the key, so a redelivered batch writes nothing twice. Only the payload's
-- first bytes are kept (enough to see what a device sent; Kafka keeps the whole for 30 days).
-- `enterprise_id` is the topic's (the broker authenticated it as the MQTT username); NULL
-- when the topic said none (a bad topic, a stream's dead letter): admins only see those.

CREATE TABLE rejections (
    id              bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,  -- the keyset tie-break
    kafka_topic     text        NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL,
    received_at     timestamptz NOT NULL,
    enterprise_id   text,
    device_id       text,
    reason          text        NOT NULL,
    detail          text        NOT NULL,
    mqtt_topic      text,
    source          text        NOT NULL,
    payload_head    bytea       NOT NULL,
    payload_size    integer     NOT NULL,
    PRIMARY KEY (kafka_topic, kafka_partition, kafka_offset)
);
-- Keyset pages newest first, per enterprise (and the admin's view of all); the retention
-- delete walks the time index.
CREATE INDEX rejections_enterprise_time
    ON rejections (enterprise_id, received_at DESC, id DESC);
CREATE INDEX rejections_time ON rejections (received_at, id);
