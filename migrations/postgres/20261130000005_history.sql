-- The history inquiry view (projection `history`, 履歴照会): one row per event of a form, a
-- form read, an account or an institution, with the form, patient (grouping key), institution
-- and account it concerns. Derived from the event store; rebuilt by replay.
CREATE TABLE history (
    position    bigint PRIMARY KEY,
    program     text,
    stream_type text NOT NULL,
    stream_id   text NOT NULL,
    version     bigint NOT NULL,
    event_type  text NOT NULL,
    at          bigint NOT NULL,
    actor       text NOT NULL,
    role        text NOT NULL,
    reason      text,
    form_id     text,
    patient_key text,
    institution text,
    account_id  text,
    -- JSON: what the event changed, without the patient's identity or the アクセスキー.
    details     text NOT NULL
);
CREATE INDEX history_form ON history (form_id, position);
CREATE INDEX history_patient ON history (patient_key, position);
CREATE INDEX history_institution ON history (institution, position);
CREATE INDEX history_account ON history (account_id, position);
CREATE INDEX history_actor ON history (actor, position);

-- Each form's patient and institution, for the rows of its later events.
CREATE TABLE history_forms (
    form_id     text PRIMARY KEY,
    patient_key text NOT NULL,
    institution text NOT NULL
);
