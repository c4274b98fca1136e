-- See the PostgreSQL migration of the same name.
ALTER TABLE idempotency_keys ADD COLUMN request_hash TEXT;
