-- See the PostgreSQL migration of the same name. Accounts (issue 4). The account streams are events; what lives here is either a secret that
-- must never enter the append-only history (password hashes, session tokens' digests) or a
-- read model that a replay of the events rebuilds (the directory, affiliations, read audit).
-- Times are Unix milliseconds (INTEGER) in both backends.

-- One row per login ID. The hash is argon2id in PHC form; a new password replaces it (the
-- event stream records that it happened, never the value).
CREATE TABLE credentials (
    login_id        TEXT    PRIMARY KEY,
    account_id      TEXT    NOT NULL UNIQUE,
    password_hash   TEXT    NOT NULL CHECK (password_hash LIKE '$argon2id$%' OR password_hash LIKE '$nanbyo-issued-sha256$%'),
    failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until    INTEGER,
    updated_at      INTEGER  NOT NULL
) STRICT;

-- Bearer tokens: only their SHA-256 is stored, so a copy of the database opens no session.
CREATE TABLE sessions (
    token_sha256 TEXT   PRIMARY KEY CHECK (length(token_sha256) = 64),
    account_id   TEXT   NOT NULL,
    issued_at    INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX sessions_account ON sessions (account_id);

-- Where each projection is in the event store; written in the same transaction as its rows.
CREATE TABLE projection_checkpoints (
    name       TEXT   PRIMARY KEY,
    position   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE account_directory (
    account_id          TEXT   PRIMARY KEY,
    login_id            TEXT   NOT NULL,
    program             TEXT   NOT NULL,
    role                TEXT   NOT NULL,
    display_name        TEXT   NOT NULL,
    doctor_number       TEXT,
    designation_kind    TEXT,
    primary_institution TEXT,
    responsible_for     TEXT,
    jurisdiction        TEXT,
    status              TEXT   NOT NULL,
    pending_switch_from TEXT,
    pending_switch_to   TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
) STRICT;
CREATE INDEX account_directory_primary ON account_directory (program, primary_institution);
CREATE INDEX account_directory_responsible ON account_directory (program, responsible_for);
CREATE INDEX account_directory_jurisdiction ON account_directory (program, jurisdiction);

CREATE TABLE account_affiliations (
    account_id   TEXT   NOT NULL,
    institution  TEXT   NOT NULL,
    program      TEXT   NOT NULL,
    status       TEXT   NOT NULL,
    requested_at INTEGER NOT NULL,
    decided_at   INTEGER,
    PRIMARY KEY (account_id, institution)
) STRICT;
CREATE INDEX account_affiliations_institution ON account_affiliations (program, institution, status);

-- Read audit: who read which patient's form, when and from where.
CREATE TABLE form_reads (
    position    INTEGER PRIMARY KEY,
    form_id     TEXT   NOT NULL,
    patient_key TEXT   NOT NULL,
    program     TEXT   NOT NULL,
    account_id  TEXT   NOT NULL,
    role        TEXT   NOT NULL,
    origin      TEXT,
    read_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX form_reads_patient ON form_reads (patient_key, read_at);
CREATE INDEX form_reads_form ON form_reads (form_id, read_at);
