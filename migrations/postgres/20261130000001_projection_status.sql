-- Why a projection stopped (a short reason naming the kind of failure, never an event's
-- content) and at which position; cleared by the next batch it applies.
ALTER TABLE projection_checkpoints ADD COLUMN error text;
ALTER TABLE projection_checkpoints ADD COLUMN error_position bigint;
