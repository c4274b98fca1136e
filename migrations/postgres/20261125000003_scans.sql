-- Scanned paper forms (old form version on paper), stored once by their SHA-256. Like the
-- events, a stored scan is never changed or removed.
CREATE TABLE scans (
    sha256     text        PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    media_type text        NOT NULL,
    size       bigint      NOT NULL CHECK (size > 0),
    content    bytea       NOT NULL,
    stored_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER scans_no_update_delete BEFORE UPDATE OR DELETE ON scans
    FOR EACH ROW EXECUTE FUNCTION nanbyo_events_append_only();
CREATE TRIGGER scans_no_truncate BEFORE TRUNCATE ON scans
    FOR EACH STATEMENT EXECUTE FUNCTION nanbyo_events_append_only();
