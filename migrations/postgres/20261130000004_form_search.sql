-- The form search view (projection `form_search`): one row per form. Its rows are derived
-- from the event store and can be rebuilt from it at any time (`nanbyo projections rebuild`).
CREATE TABLE form_search (
    form_id      text    PRIMARY KEY,
    program      text    NOT NULL,
    disease      text    NOT NULL,
    form_version text    NOT NULL,
    application  text,
    purpose      text,
    institution  text    NOT NULL,
    author       text    NOT NULL,
    jurisdiction text    NOT NULL,
    status       text    NOT NULL,
    outcome      text,
    review       text,
    -- The patient's kana without spaces, birth date and grouping key: search and the patient's
    -- history. The view holds no other personal data.
    -- Code-point order ("C"): one index serves both the prefix search and the kana sort.
    kana         text    COLLATE "C" NOT NULL,
    birth_date   text    NOT NULL,
    patient_key  text    NOT NULL,
    paper        boolean NOT NULL,
    created_at   bigint  NOT NULL,
    updated_at   bigint  NOT NULL,
    version      bigint  NOT NULL
);
CREATE INDEX form_search_updated ON form_search (program, updated_at, form_id);
CREATE INDEX form_search_institution ON form_search (program, institution, updated_at, form_id);
CREATE INDEX form_search_jurisdiction ON form_search (program, jurisdiction, updated_at, form_id);
CREATE INDEX form_search_kana ON form_search (program, kana, form_id);
CREATE INDEX form_search_institution_kana ON form_search (program, institution, kana, form_id);
CREATE INDEX form_search_jurisdiction_kana ON form_search (program, jurisdiction, kana, form_id);
CREATE INDEX form_search_patient ON form_search (program, patient_key);
CREATE INDEX form_search_birth ON form_search (program, birth_date);
-- Partial kana matches (`kana_contains`) use trigrams. pg_trgm is a trusted extension: the
-- schema owner that runs the migrations may create it (PostgreSQL 13 and later).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX form_search_kana_trgm ON form_search USING gin (kana gin_trgm_ops);
