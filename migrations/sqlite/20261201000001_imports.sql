-- Bulk imports (projection `import_jobs`): one row per import job with its progress, and one
-- row per data row of its file with that row's outcome. Derived from the `import_job` streams;
-- rebuilt by replay like every view.
CREATE TABLE import_jobs (
    job_id        TEXT   PRIMARY KEY,
    use_kind      TEXT   NOT NULL,
    program       TEXT   NOT NULL,
    account_id    TEXT   NOT NULL,
    role          TEXT   NOT NULL,
    -- As the uploader named the file: it may contain personal data; shown to its uploader.
    file_name     TEXT   NOT NULL,
    file_size     INTEGER NOT NULL,
    sha256        TEXT   NOT NULL,
    format        TEXT,
    contractor    TEXT,
    status        TEXT   NOT NULL,
    total         INTEGER,
    valid         INTEGER,
    done          INTEGER NOT NULL,
    through_row   INTEGER NOT NULL,
    applied       INTEGER NOT NULL,
    unchanged     INTEGER NOT NULL,
    rejected      INTEGER NOT NULL,
    failure_code  TEXT,
    failure_ja    TEXT,
    failure_en    TEXT,
    received_at   INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX import_jobs_account ON import_jobs (account_id, received_at);
CREATE INDEX import_jobs_unfinished ON import_jobs (status);

CREATE TABLE import_rows (
    job_id   TEXT   NOT NULL,
    row_no   INTEGER NOT NULL,
    outcome  TEXT   NOT NULL,
    form_id  TEXT,
    action   TEXT,
    -- JSON array of {column, code, message_ja, message_en}; never a cell of the file.
    errors   TEXT,
    PRIMARY KEY (job_id, row_no)
) STRICT;

-- The keys a certification result is matched by (projection `form_keys`): the アクセスキー
-- issued at submission and the 受給者番号 — the patient's, and the one the municipality recorded
-- in the 行政記載欄 (either matches).
CREATE TABLE form_keys (
    form_id          TEXT PRIMARY KEY,
    program          TEXT NOT NULL,
    jurisdiction     TEXT NOT NULL,
    access_key       TEXT,
    patient_recipient TEXT,
    admin_recipient   TEXT
) STRICT;
CREATE INDEX form_keys_access_key ON form_keys (access_key);
CREATE INDEX form_keys_patient_recipient ON form_keys (program, jurisdiction, patient_recipient);
CREATE INDEX form_keys_admin_recipient ON form_keys (program, jurisdiction, admin_recipient);
