-- Every change to the registry (import, and later the API): who, when, what before and after.
-- A regulator reads it to see when a detector was removed, so it is append-only and the
-- database itself refuses to rewrite it, whoever asks. `before`/`after` are the records as in
-- the registry file (never the MQTT password hash); `version` is the registry version the
-- change produced, so one import's rows read as one step.

CREATE TABLE registry_audit (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor         text        NOT NULL CHECK (actor <> ''),
    action        text        NOT NULL CHECK (action IN ('added', 'changed', 'removed')),
    kind          text        NOT NULL CHECK (kind IN ('enterprise', 'device')),
    id            text        NOT NULL,  -- the enterprise's or the device's id
    enterprise_id text        NOT NULL,
    before        jsonb,
    after         jsonb,
    version       bigint      NOT NULL,
    note          text
);
CREATE INDEX registry_audit_enterprise ON registry_audit (enterprise_id, seq DESC);
CREATE INDEX registry_audit_item ON registry_audit (id, seq DESC);

CREATE FUNCTION registry_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'registry_audit is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER registry_audit_no_update_or_delete
    BEFORE UPDATE OR DELETE ON registry_audit
    FOR EACH ROW EXECUTE FUNCTION registry_audit_append_only();
CREATE TRIGGER registry_audit_no_truncate
    BEFORE TRUNCATE ON registry_audit
    FOR EACH STATEMENT EXECUTE FUNCTION registry_audit_append_only();
