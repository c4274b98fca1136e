-- The history inquiry view (projection `history`, 履歴照会): one row per event of a form, a
-- form read, an account or an institution, with the form, patient (grouping key), institution
-- and account it concerns. Derived from the event store; rebuilt by replay.
CREATE TABLE history (
    position    INTEGER PRIMARY KEY,
    program     TEXT,
    stream_type TEXT NOT NULL,
    stream_id   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    event_type  TEXT NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL,
    reason      TEXT,
    form_id     TEXT,
    patient_key TEXT,
    institution TEXT,
    account_id  TEXT,
    -- JSON: what the event changed, without the patient's identity or the アクセスキー.
    details     TEXT NOT NULL
) STRICT;
CREATE INDEX history_form ON history (form_id, position);
CREATE INDEX history_patient ON history (patient_key, position);
CREATE INDEX history_institution ON history (institution, position);
CREATE INDEX history_account ON history (account_id, position);
CREATE INDEX history_actor ON history (actor, position);

-- Each form's patient and institution, for the rows of its later events.
CREATE TABLE history_forms (
    form_id     TEXT PRIMARY KEY,
    patient_key TEXT NOT NULL,
    institution TEXT NOT NULL
) STRICT;
