-- Idempotency keys as the HTTP layer sees them: which request (a digest of its method, path,
-- query and body) an account first sent under a key. One layer on the whole router claims the
-- key here before any handler runs, so the same key with a different request is refused on
-- every route, whatever the handler does with the key afterwards. Keys are scoped to the
-- account (`scope` is a digest of the account id and the key, never the key itself).
CREATE TABLE request_keys (
    scope       text   PRIMARY KEY CHECK (length(scope) = 64),
    fingerprint text   NOT NULL CHECK (length(fingerprint) = 64),
    claimed_at  bigint NOT NULL
);
