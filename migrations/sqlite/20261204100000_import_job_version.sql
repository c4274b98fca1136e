-- See the PostgreSQL migration of the same name: the stream version each job row reflects.
ALTER TABLE import_jobs ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
DELETE FROM import_rows;
DELETE FROM import_jobs;
DELETE FROM projection_checkpoints WHERE name = 'import_jobs';
