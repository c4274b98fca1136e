-- The job's stream version each `import_jobs` row reflects: the status route reads the job's
-- events after it from the store, so a job's status is never behind its stream (issue 12 §8).
-- The view is re-projected to fill it.
ALTER TABLE import_jobs ADD COLUMN version bigint NOT NULL DEFAULT 0;
DELETE FROM import_rows;
DELETE FROM import_jobs;
DELETE FROM projection_checkpoints WHERE name = 'import_jobs';
