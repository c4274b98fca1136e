-- The read audit lists refused attempts too (issue 12 §4, `ReadRefused`), and the route of
-- every read. The view is emptied and re-projected from the store, which holds the route of
-- every earlier read.
ALTER TABLE form_reads ADD COLUMN what text;
ALTER TABLE form_reads ADD COLUMN refused boolean NOT NULL DEFAULT false;
DELETE FROM form_reads;
DELETE FROM projection_checkpoints WHERE name = 'form_reads';
