-- Issue 6: the 履歴照会・回答 linkage. The relay's and the inquirer's checkpoints live in
-- projection_checkpoints (`relay.nats`, `linkage.inquirer`). This is the view of inquiries
-- (projection `linkage.inquiries`, rebuilt from the patient streams) and the sender's attempt
-- counters on the same rows. No personal data: the patient key groups a patient's inquiries,
-- the identity is read from the form when an inquiry is sent. Times are Unix milliseconds.
CREATE TABLE linkage_inquiries (
    request_id      text   PRIMARY KEY,
    program         text   NOT NULL CHECK (program IN ('nanbyo', 'shoman')),
    patient_key     text   NOT NULL,
    form_id         text   NOT NULL,
    inquired_at     bigint NOT NULL,
    -- An answer (or a newer inquiry for the same patient) closes the inquiry.
    answered_at     bigint,
    outcome         text   CHECK (outcome IN ('assigned', 'not_found', 'superseded')),
    attempts        bigint NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_attempt_at bigint,
    next_attempt_at bigint NOT NULL
);
CREATE INDEX linkage_inquiries_due ON linkage_inquiries (next_attempt_at) WHERE answered_at IS NULL;
CREATE INDEX linkage_inquiries_patient ON linkage_inquiries (patient_key) WHERE answered_at IS NULL;
