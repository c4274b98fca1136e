//! The read audit view: who read which patient's forms, when, from where and through which
//! route — and who tried and was refused (`refused`).

use domain::audit::{AccessEvent, FORM_READS};
use domain::form::FormEvent;
use eventstore::{RecordedEvent, SqlPool};
use serde::Serialize;

use crate::{exec, millis, Projection, ProjectionError, Tx};

pub const NAME: &str = "form_reads";

pub struct Reads;

impl Projection for Reads {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["form_reads"]
    }

    fn stream_types(&self) -> &'static [&'static str] {
        &[FORM_READS, "form"]
    }

    async fn apply(&self, tx: &mut Tx<'_>, event: &RecordedEvent) -> Result<(), ProjectionError> {
        if event.stream.stream_type == "form" {
            // A corrected patient takes the form's earlier reads along: "who read this
            // patient" asks by the patient's key as it is now.
            if event.event_type != "PatientDataChanged" {
                return Ok(());
            }
            let FormEvent::PatientDataChanged {
                program, patient, ..
            } = event.decode().map_err(|e| ProjectionError::Event {
                position: event.position,
                reason: e.to_string(),
            })?
            else {
                return Ok(());
            };
            exec!(
                tx,
                "UPDATE form_reads SET patient_key = $2 WHERE form_id = $1",
                event.stream.id.as_str(),
                patient.key(program),
            )?;
            return Ok(());
        }
        let decoded = event.decode().map_err(|e| ProjectionError::Event {
            position: event.position,
            reason: e.to_string(),
        })?;
        // A refused read is listed under the record's program (its auditors'), whatever the
        // caller's program was.
        let (form, program, patient_key, what, origin, refused) = match decoded {
            AccessEvent::FormRead {
                form,
                program,
                patient_key,
                what,
                origin,
            } => (form, program, patient_key, what, origin, false),
            AccessEvent::ReadRefused {
                record,
                program,
                patient_key: Some(patient_key),
                what,
                origin,
            } => (record, program, patient_key, what, origin, true),
            // Without a patient there is no one to list it under.
            AccessEvent::ReadRefused {
                patient_key: None, ..
            } => return Ok(()),
        };
        exec!(
            tx,
            "INSERT INTO form_reads (position, form_id, patient_key, program, account_id, role, \
             origin, read_at, what, refused) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (position) DO NOTHING",
            event.position as i64,
            form,
            patient_key,
            program.as_str(),
            event.metadata.actor.as_str(),
            event.metadata.role.as_str(),
            origin,
            millis(event.recorded_at),
            what,
            refused,
        )?;
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ReadEntry {
    pub form_id: String,
    pub account_id: String,
    pub role: String,
    pub origin: Option<String>,
    /// Unix milliseconds.
    pub read_at: i64,
    /// The route: `form`, `form_as_of`, `judgment`, `history`, `diff`, `scan`, and for refused
    /// attempts also `patient_history`, `read_audit`, `carry_over`.
    pub what: Option<String>,
    /// The read was refused (out of the caller's scope): nothing was shown.
    pub refused: bool,
}

/// Reads of the forms of one patient (by patient key), and the refused attempts, newest first.
pub async fn of_patient(
    sql: &SqlPool,
    program: &str,
    patient_key: &str,
    limit: i64,
) -> Result<Vec<ReadEntry>, sqlx::Error> {
    eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as::<_, ReadEntry>(
            "SELECT form_id, account_id, role, origin, read_at, what, refused FROM form_reads \
             WHERE program = $1 AND patient_key = $2 ORDER BY read_at DESC, position DESC LIMIT $3",
        )
        .bind(program)
        .bind(patient_key)
        .bind(limit)
        .fetch_all(p)
        .await
    })
}
