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

-- Global order without skipped events.
--
-- A sequence hands out numbers before commit, so transaction A may take position 10,
-- transaction B position 11, and B commit first: a reader that saw 11 and moved its checkpoint
-- past 10 would never see A's event. So readers only return events whose writing transaction id
-- is below the oldest transaction still running (pg_snapshot_xmin): those transactions have all
-- ended, so nothing below them can still appear. That is sound only if position order is
-- transaction-id order, and the simplest way to have that is to derive the position from the
-- transaction id: global_position = transaction_id * 16384 + the event's index in its append.
-- No lock, no sequence; positions are sparse (ordering tokens, not counts); one append per
-- transaction (at most 16384 events, the store allows 10000). A rolled-back transaction leaves
-- a gap, never a stall: once it has ended, xmin moves past it.
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
    -- The writing transaction.
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT events_stream_version_unique UNIQUE (stream_type, stream_id, version),
    CONSTRAINT events_position_from_transaction
        CHECK (global_position / 16384 = transaction_id::text::bigint)
);

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
