-- See the PostgreSQL migration of the same name.
CREATE TABLE scans (
    sha256     TEXT    PRIMARY KEY CHECK (length(sha256) = 64),
    media_type TEXT    NOT NULL,
    size       INTEGER NOT NULL CHECK (size > 0),
    content    BLOB    NOT NULL,
    stored_at  INTEGER NOT NULL
) STRICT;

CREATE TRIGGER scans_no_update BEFORE UPDATE ON scans
BEGIN
    SELECT RAISE(ABORT, 'scans are append-only: UPDATE is not allowed');
END;

CREATE TRIGGER scans_no_delete BEFORE DELETE ON scans
BEGIN
    SELECT RAISE(ABORT, 'scans are append-only: DELETE is not allowed');
END;
