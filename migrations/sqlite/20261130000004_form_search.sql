-- The form search view (projection `form_search`): one row per form. Its rows are derived
-- from the event store and can be rebuilt from it at any time (`nanbyo projections rebuild`).
CREATE TABLE form_search (
    form_id      TEXT    PRIMARY KEY,
    program      TEXT    NOT NULL,
    disease      TEXT    NOT NULL,
    form_version TEXT    NOT NULL,
    application  TEXT,
    purpose      TEXT,
    institution  TEXT    NOT NULL,
    author       TEXT    NOT NULL,
    jurisdiction TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    outcome      TEXT,
    review       TEXT,
    -- The patient's kana without spaces, birth date and grouping key: search and the patient's
    -- history. The view holds no other personal data.
    kana         TEXT    NOT NULL,
    birth_date   TEXT    NOT NULL,
    patient_key  TEXT    NOT NULL,
    paper        INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL
) STRICT;
CREATE INDEX form_search_updated ON form_search (program, updated_at, form_id);
CREATE INDEX form_search_institution ON form_search (program, institution, updated_at, form_id);
CREATE INDEX form_search_jurisdiction ON form_search (program, jurisdiction, updated_at, form_id);
CREATE INDEX form_search_kana ON form_search (program, kana, form_id);
CREATE INDEX form_search_institution_kana ON form_search (program, institution, kana, form_id);
CREATE INDEX form_search_jurisdiction_kana ON form_search (program, jurisdiction, kana, form_id);
CREATE INDEX form_search_patient ON form_search (program, patient_key);
CREATE INDEX form_search_birth ON form_search (program, birth_date);
