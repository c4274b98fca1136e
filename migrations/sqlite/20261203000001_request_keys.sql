-- See the PostgreSQL migration of the same name: the request each account first sent under an
-- idempotency key, claimed by the HTTP layer before any handler runs.
CREATE TABLE request_keys (
    scope       TEXT    PRIMARY KEY CHECK (length(scope) = 64),
    fingerprint TEXT    NOT NULL CHECK (length(fingerprint) = 64),
    claimed_at  INTEGER NOT NULL
) STRICT;
