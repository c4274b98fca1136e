-- The event store. Append-only: the database itself refuses UPDATE, DELETE and TRUNCATE on
-- events. Payload and metadata are `json`, not `jsonb`, because the hash chain covers their
-- exact text and jsonb would re-encode it.

-- The hash chain covers the exact bytes of the JSON text; a server encoding other than UTF-8
-- could re-encode Japanese text and make `nanbyo verify` report intact events as broken.
DO $$
BEGIN
    IF current_setting('server_encoding') <> 'UTF8' THEN
        RAISE EXCEPTION 'the registry needs a UTF8 database (this one is %)',
            current_setting('server_encoding');
    END IF;
END
$$;

CREATE SEQUENCE event_positions AS bigint;

CREATE TABLE events (
    global_position bigint      PRIMARY KEY,
    event_id        uuid        NOT NULL UNIQUE,
    stream_type     text        NOT NULL,
    stream_id       text        NOT NULL,
    version         bigint      NOT NULL CHECK (version >= 1),
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL CHECK (schema_version >= 1),
    payload         json        NOT NULL,
    metadata        json        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    hash            bytea       NOT NULL CHECK (octet_length(hash) = 32),
    -- The writing transaction. Readers only return events of transactions older than the
    -- oldest one still running; see nanbyo_reserve_positions.
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT events_stream_version_unique UNIQUE (stream_type, stream_id, version)
);

-- Reserves `n` consecutive global positions for the calling transaction.
--
-- Why: a sequence hands out numbers before commit, so transaction A may take position 10,
-- transaction B position 11, and B commit first. A reader that saw 11 and moved its checkpoint
-- past 10 would never see A's event. Readers therefore only return events whose writing
-- transaction id is below the oldest transaction still running (pg_snapshot_xmin): such
-- transactions have all ended, so nothing below them can still appear. That is only sound if
-- position order equals transaction-id order, which this function guarantees: under a short
-- lock it assigns the transaction's id (it must be the transaction's first write, checked
-- below) and takes the positions, so a later transaction gets both a higher id and higher
-- positions. The lock is held for microseconds, not until commit, so commits still overlap and
-- share fsyncs. A rolled-back transaction leaves a gap, never a stall: once it has ended,
-- xmin moves past it.
CREATE FUNCTION nanbyo_reserve_positions(n integer) RETURNS bigint
LANGUAGE plpgsql
-- A lock left behind by a broken session must not hang every writer: fail after a while.
SET lock_timeout = '10s'
AS $$
DECLARE
    first bigint;
BEGIN
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'nanbyo_reserve_positions must be the first write of its transaction';
    END IF;
    -- A session lock, so that it does not last until commit. Taking and releasing it inside
    -- the protected block means an error or a cancel at any point in between releases it (a
    -- release of a lock not held only warns).
    BEGIN
        PERFORM pg_advisory_lock(7395012648321);
        PERFORM pg_current_xact_id();
        first := nextval('event_positions');
        IF n > 1 THEN
            PERFORM setval('event_positions', first + n - 1);
        END IF;
        PERFORM pg_advisory_unlock(7395012648321);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM pg_advisory_unlock(7395012648321);
        RAISE;
    END;
    RETURN first;
END
$$;

CREATE FUNCTION nanbyo_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION nanbyo_events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION nanbyo_events_append_only();

-- The first result of each idempotent append.
CREATE TABLE idempotency_keys (
    key            text        PRIMARY KEY,
    stream_type    text        NOT NULL,
    stream_id      text        NOT NULL,
    first_version  bigint      NOT NULL,
    last_version   bigint      NOT NULL,
    first_position bigint      NOT NULL,
    last_position  bigint      NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now()
);
