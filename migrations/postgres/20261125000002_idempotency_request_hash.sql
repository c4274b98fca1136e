-- What the first request under an idempotency key was (a hash of its method, path and body):
-- the same key with a different request is refused instead of being answered with the first
-- request's result, which would silently drop the second.
ALTER TABLE idempotency_keys ADD COLUMN request_hash text;
