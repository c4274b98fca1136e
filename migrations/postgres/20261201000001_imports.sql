-- Bulk imports (projection `import_jobs`): one row per import job with its progress, and one
-- row per data row of its file with that row's outcome. Derived from the `import_job` streams;
-- rebuilt by replay like every view.
CREATE TABLE import_jobs (
    job_id        text   PRIMARY KEY,
    use_kind      text   NOT NULL,
    program       text   NOT NULL,
    account_id    text   NOT NULL,
    role          text   NOT NULL,
    -- As the uploader named the file: it may contain personal data; shown to its uploader.
    file_name     text   NOT NULL,
    file_size     bigint NOT NULL,
    sha256        text   NOT NULL,
    format        text,
    contractor    text,
    status        text   NOT NULL,
    total         bigint,
    valid         bigint,
    done          bigint NOT NULL,
    through_row   bigint NOT NULL,
    applied       bigint NOT NULL,
    unchanged     bigint NOT NULL,
    rejected      bigint NOT NULL,
    failure_code  text,
    failure_ja    text,
    failure_en    text,
    received_at   bigint NOT NULL,
    updated_at    bigint NOT NULL
);
CREATE INDEX import_jobs_account ON import_jobs (account_id, received_at);
CREATE INDEX import_jobs_unfinished ON import_jobs (status);

CREATE TABLE import_rows (
    job_id   text   NOT NULL,
    row_no   bigint NOT NULL,
    outcome  text   NOT NULL,
    form_id  text,
    action   text,
    -- JSON array of {column, code, message_ja, message_en}; never a cell of the file.
    errors   text,
    PRIMARY KEY (job_id, row_no)
);

-- The keys a certification result is matched by (projection `form_keys`): the アクセスキー
-- issued at submission and the 受給者番号 — the patient's, and the one the municipality recorded
-- in the 行政記載欄 (either matches).
CREATE TABLE form_keys (
    form_id          text PRIMARY KEY,
    program          text NOT NULL,
    jurisdiction     text NOT NULL,
    access_key       text,
    patient_recipient text,
    admin_recipient   text
);
CREATE INDEX form_keys_access_key ON form_keys (access_key);
CREATE INDEX form_keys_patient_recipient ON form_keys (program, jurisdiction, patient_recipient);
CREATE INDEX form_keys_admin_recipient ON form_keys (program, jurisdiction, admin_recipient);
