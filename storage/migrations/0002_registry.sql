-- The registry: enterprises (with their division, industry and broker credentials) and their
-- devices. `registry_version` grows on every change, so caches (the ingest gateway, the stream
-- worker) poll one row to know when to reload.

CREATE TABLE enterprises (
    id                 text PRIMARY KEY,
    name               text    NOT NULL,
    division           char(12) NOT NULL CHECK (division ~ '^[0-9]{12}$'),
    industry           text    NOT NULL,
    mqtt_password_hash text,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enterprises_division ON enterprises (division bpchar_pattern_ops);

CREATE TABLE devices (
    id                text PRIMARY KEY,
    enterprise_id     text NOT NULL REFERENCES enterprises (id),
    family            text NOT NULL,
    type              text NOT NULL,
    substance         text,
    location          text,
    interlock         text,
    gateway           text,
    report_interval_s double precision NOT NULL,
    offline_after_s   double precision,
    thresholds        jsonb,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_enterprise ON devices (enterprise_id);

CREATE TABLE registry_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version   bigint  NOT NULL
);
INSERT INTO registry_version VALUES (true, 0);
