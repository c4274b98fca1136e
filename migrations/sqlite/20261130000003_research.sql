-- See the PostgreSQL migration of the same name. Research extracts (SPEC 12). The read model the extracts are read from: one row per form of a
-- patient who consented to research use (research_consent), already reduced to what an extract
-- may hold. No name, kana, birth date (the age at the form date is computed when the form is
-- projected), address, insurance or recipient number, access key, free-text item or
-- administrative field (行政記載欄) is ever written here. The plain patient key stays, because
-- the pseudonym is HMAC-SHA256 of it under a secret that is not in the database: the pseudonym
-- is computed when an extract is written. Times are Unix milliseconds.

CREATE TABLE research_forms (
    form_id            TEXT    PRIMARY KEY,
    program            TEXT    NOT NULL,
    patient_key        TEXT    NOT NULL,
    -- draft, submitted, received, decided, withdrawn: extracts take submitted to decided.
    status             TEXT    NOT NULL,
    -- The day (Japan) the form was drafted or, for a paper form, registered.
    form_date          TEXT    NOT NULL,
    age_years          INTEGER NOT NULL,
    sex                TEXT    NOT NULL,
    -- 都道府県番号 of the patient's municipality.
    prefecture         TEXT    NOT NULL,
    disease            TEXT    NOT NULL,
    form_version       TEXT    NOT NULL,
    application        TEXT    NOT NULL,
    purpose            TEXT    NOT NULL,
    -- JSON object: item id → value, without free-text items.
    items              TEXT    NOT NULL,
    judgment           TEXT,
    diagnosis          TEXT,
    severity           TEXT,
    master_version     TEXT,
    review_result      TEXT,
    certificate_issued INTEGER,
    updated_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX research_forms_program ON research_forms (program, form_id);

-- Every item a published master defines, per disease and form version, and whether any
-- version defines it as free text: only items known and never free text are projected.
CREATE TABLE research_items (
    program      TEXT    NOT NULL,
    disease      TEXT    NOT NULL,
    form_version TEXT    NOT NULL,
    item_id      TEXT    NOT NULL,
    free_text    INTEGER NOT NULL,
    PRIMARY KEY (program, disease, form_version, item_id)
) STRICT;

-- The linkage id (履歴照会・回答) of a patient key, when the inquiry was answered.
CREATE TABLE research_linkage (
    patient_key TEXT   PRIMARY KEY,
    linkage_id  TEXT   NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
