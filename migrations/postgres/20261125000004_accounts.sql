-- Accounts (issue 4). The account streams are events; what lives here is either a secret that
-- must never enter the append-only history (password hashes, session tokens' digests) or a
-- read model that a replay of the events rebuilds (the directory, affiliations, read audit).
-- Times are Unix milliseconds (bigint) in both backends.

-- One row per login ID. The hash is argon2id in PHC form; a new password replaces it (the
-- event stream records that it happened, never the value).
CREATE TABLE credentials (
    login_id        text    PRIMARY KEY,
    account_id      text    NOT NULL UNIQUE,
    password_hash   text    NOT NULL CHECK (password_hash LIKE '$argon2id$%' OR password_hash LIKE '$nanbyo-issued-sha256$%'),
    failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until    bigint,
    updated_at      bigint  NOT NULL
);

-- Bearer tokens: only their SHA-256 is stored, so a copy of the database opens no session.
CREATE TABLE sessions (
    token_sha256 text   PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    account_id   text   NOT NULL,
    issued_at    bigint NOT NULL,
    expires_at   bigint NOT NULL,
    revoked_at   bigint
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Where each projection is in the event store; written in the same transaction as its rows.
CREATE TABLE projection_checkpoints (
    name       text   PRIMARY KEY,
    position   bigint NOT NULL,
    updated_at bigint NOT NULL
);

CREATE TABLE account_directory (
    account_id          text   PRIMARY KEY,
    login_id            text   NOT NULL,
    program             text   NOT NULL,
    role                text   NOT NULL,
    display_name        text   NOT NULL,
    doctor_number       text,
    designation_kind    text,
    primary_institution text,
    responsible_for     text,
    jurisdiction        text,
    status              text   NOT NULL,
    pending_switch_from text,
    pending_switch_to   text,
    created_at          bigint NOT NULL,
    updated_at          bigint NOT NULL
);
CREATE INDEX account_directory_primary ON account_directory (program, primary_institution);
CREATE INDEX account_directory_responsible ON account_directory (program, responsible_for);
CREATE INDEX account_directory_jurisdiction ON account_directory (program, jurisdiction);

CREATE TABLE account_affiliations (
    account_id   text   NOT NULL,
    institution  text   NOT NULL,
    program      text   NOT NULL,
    status       text   NOT NULL,
    requested_at bigint NOT NULL,
    decided_at   bigint,
    PRIMARY KEY (account_id, institution)
);
CREATE INDEX account_affiliations_institution ON account_affiliations (program, institution, status);

-- Read audit: who read which patient's form, when and from where.
CREATE TABLE form_reads (
    position    bigint PRIMARY KEY,
    form_id     text   NOT NULL,
    patient_key text   NOT NULL,
    program     text   NOT NULL,
    account_id  text   NOT NULL,
    role        text   NOT NULL,
    origin      text,
    read_at     bigint NOT NULL
);
CREATE INDEX form_reads_patient ON form_reads (patient_key, read_at);
CREATE INDEX form_reads_form ON form_reads (form_id, read_at);
