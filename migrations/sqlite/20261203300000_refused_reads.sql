-- See the PostgreSQL migration of the same name. The read audit lists refused attempts too
-- (issue 12 §4, `ReadRefused`), and the route of every read; the view is re-projected.
ALTER TABLE form_reads ADD COLUMN what TEXT;
ALTER TABLE form_reads ADD COLUMN refused INTEGER NOT NULL DEFAULT 0 CHECK (refused IN (0, 1));
DELETE FROM form_reads;
DELETE FROM projection_checkpoints WHERE name = 'form_reads';
