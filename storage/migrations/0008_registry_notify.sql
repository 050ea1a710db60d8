-- Caches of the registry (the ingest gateways, the stream workers) LISTEN on `hw_registry`:
-- each change of `registry_version` notifies them with the new version, so a device imported a
-- moment ago is known at once instead of after the next poll (the poll stays as a fallback).
-- PostgreSQL delivers the notification when the importing transaction commits, never before.

CREATE FUNCTION registry_version_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hw_registry', NEW.version::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER registry_version_changed
    AFTER UPDATE ON registry_version
    FOR EACH ROW WHEN (NEW.version IS DISTINCT FROM OLD.version)
    EXECUTE FUNCTION registry_version_notify();
