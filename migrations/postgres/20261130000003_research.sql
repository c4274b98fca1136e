-- Research extracts (SPEC 12). The read model the extracts are read from: one row per form of a
-- patient who consented to research use (research_consent), already reduced to what an extract
-- may hold. No name, kana, birth date (the age at the form date is computed when the form is
-- projected), address, insurance or recipient number, access key, free-text item or
-- administrative field (行政記載欄) is ever written here. The plain patient key stays, because
-- the pseudonym is HMAC-SHA256 of it under a secret that is not in the database: the pseudonym
-- is computed when an extract is written. Times are Unix milliseconds.

CREATE TABLE research_forms (
    form_id            text    PRIMARY KEY,
    program            text    NOT NULL,
    patient_key        text    NOT NULL,
    -- draft, submitted, received, decided, withdrawn: extracts take submitted to decided.
    status             text    NOT NULL,
    -- The day (Japan) the form was drafted or, for a paper form, registered.
    form_date          text    NOT NULL,
    age_years          bigint  NOT NULL,
    sex                text    NOT NULL,
    -- 都道府県番号 of the patient's municipality.
    prefecture         text    NOT NULL,
    disease            text    NOT NULL,
    form_version       text    NOT NULL,
    application        text    NOT NULL,
    purpose            text    NOT NULL,
    -- JSON object: item id → value, without free-text items.
    items              text    NOT NULL,
    judgment           text,
    diagnosis          text,
    severity           text,
    master_version     text,
    review_result      text,
    certificate_issued boolean,
    updated_at         bigint  NOT NULL
);
CREATE INDEX research_forms_program ON research_forms (program, form_id);

-- Every item a published master defines, per disease and form version, and whether any
-- version defines it as free text: only items known and never free text are projected.
CREATE TABLE research_items (
    program      text    NOT NULL,
    disease      text    NOT NULL,
    form_version text    NOT NULL,
    item_id      text    NOT NULL,
    free_text    boolean NOT NULL,
    PRIMARY KEY (program, disease, form_version, item_id)
);

-- The linkage id (履歴照会・回答) of a patient key, when the inquiry was answered.
CREATE TABLE research_linkage (
    patient_key text   PRIMARY KEY,
    linkage_id  text   NOT NULL,
    updated_at  bigint NOT NULL
);
