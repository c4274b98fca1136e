-- See the PostgreSQL migration of the same name. Issue 6: the 履歴照会・回答 linkage's view of
-- inquiries and the sender's attempt counters. Times are Unix milliseconds.
CREATE TABLE linkage_inquiries (
    request_id      TEXT    PRIMARY KEY,
    program         TEXT    NOT NULL CHECK (program IN ('nanbyo', 'shoman')),
    patient_key     TEXT    NOT NULL,
    form_id         TEXT    NOT NULL,
    inquired_at     INTEGER NOT NULL,
    answered_at     INTEGER,
    outcome         TEXT    CHECK (outcome IN ('assigned', 'not_found', 'superseded')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_attempt_at INTEGER,
    next_attempt_at INTEGER NOT NULL
) STRICT;
CREATE INDEX linkage_inquiries_due ON linkage_inquiries (next_attempt_at) WHERE answered_at IS NULL;
CREATE INDEX linkage_inquiries_patient ON linkage_inquiries (patient_key) WHERE answered_at IS NULL;
