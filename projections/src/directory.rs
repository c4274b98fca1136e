//! The account directory: who has an account, in which program, role, institution and
//! jurisdiction, and the secondary-affiliation requests. Queries that list accounts (the
//! operator's list, a responsible person's pending requests, the institution-code switch)
//! read it.

use domain::account::AccountEvent;
use domain::Aggregate;
use eventstore::{RecordedEvent, SqlPool};
use serde::Serialize;

use crate::{exec, millis, Projection, ProjectionError, Tx};

pub const NAME: &str = "account_directory";

pub struct Directory;

fn decode(event: &RecordedEvent) -> Result<AccountEvent, ProjectionError> {
    event.decode().map_err(|e| ProjectionError::Event {
        position: event.position,
        reason: e.to_string(),
    })
}

impl Projection for Directory {
    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["account_directory", "account_affiliations"]
    }

    fn stream_types(&self) -> &'static [&'static str] {
        &[domain::account::Account::STREAM_TYPE]
    }

    async fn apply(&self, tx: &mut Tx<'_>, event: &RecordedEvent) -> Result<(), ProjectionError> {
        let id = event.stream.id.as_str();
        let at = millis(event.recorded_at);
        match decode(event)? {
            AccountEvent::AccountCreated { account: a, .. } => {
                let (number, kind) = match &a.designation {
                    Some(d) => (
                        Some(d.number.clone()),
                        Some(
                            serde_json::to_value(d.kind).map_err(|e| ProjectionError::Event {
                                position: event.position,
                                reason: e.to_string(),
                            })?,
                        ),
                    ),
                    None => (None, None),
                };
                let kind = kind.and_then(|k| k.as_str().map(str::to_owned));
                exec!(
                    tx,
                    "INSERT INTO account_directory (account_id, login_id, program, role, \
                     display_name, doctor_number, designation_kind, primary_institution, \
                     responsible_for, jurisdiction, status, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', $11, $11) \
                     ON CONFLICT (account_id) DO NOTHING",
                    id,
                    a.login_id.as_str(),
                    a.program.as_str(),
                    a.role.as_str(),
                    a.display_name.as_str(),
                    number,
                    kind,
                    a.primary_institution
                        .as_ref()
                        .map(|c| c.as_str().to_owned()),
                    a.responsible_for.as_ref().map(|c| c.as_str().to_owned()),
                    a.jurisdiction.as_ref().map(|c| c.as_str().to_owned()),
                    at,
                )?;
            }
            AccountEvent::AccountSuspended {} | AccountEvent::AccountReactivated {} => {
                let status = if event.event_type == "AccountSuspended" {
                    "suspended"
                } else {
                    "active"
                };
                exec!(
                    tx,
                    "UPDATE account_directory SET status = $2, updated_at = $3 WHERE account_id = $1",
                    id,
                    status,
                    at
                )?;
            }
            AccountEvent::AffiliationRequested { institution } => {
                exec!(
                    tx,
                    "INSERT INTO account_affiliations (account_id, institution, program, status, \
                     requested_at) SELECT $1, $2, program, 'pending', $3 FROM account_directory \
                     WHERE account_id = $1 ON CONFLICT (account_id, institution) DO UPDATE \
                     SET status = 'pending', requested_at = excluded.requested_at, decided_at = NULL",
                    id,
                    institution.as_str(),
                    at
                )?;
            }
            AccountEvent::AffiliationApproved { institution }
            | AccountEvent::AffiliationRejected { institution }
            | AccountEvent::AffiliationRevoked { institution } => {
                let status = match event.event_type.as_str() {
                    "AffiliationApproved" => "approved",
                    "AffiliationRejected" => "rejected",
                    _ => "revoked",
                };
                exec!(
                    tx,
                    "UPDATE account_affiliations SET status = $3, decided_at = $4 \
                     WHERE account_id = $1 AND institution = $2",
                    id,
                    institution.as_str(),
                    status,
                    at
                )?;
            }
            AccountEvent::InstitutionSwitchScheduled { from, to } => {
                exec!(
                    tx,
                    "UPDATE account_directory SET pending_switch_from = $2, pending_switch_to = $3, \
                     updated_at = $4 WHERE account_id = $1",
                    id,
                    from.as_str(),
                    to.as_str(),
                    at
                )?;
            }
            AccountEvent::InstitutionSwitched { from, to } => {
                exec!(
                    tx,
                    "UPDATE account_directory SET \
                     primary_institution = CASE WHEN primary_institution = $2 THEN $3 ELSE primary_institution END, \
                     responsible_for = CASE WHEN responsible_for = $2 THEN $3 ELSE responsible_for END, \
                     pending_switch_from = NULL, pending_switch_to = NULL, updated_at = $4 \
                     WHERE account_id = $1",
                    id,
                    from.as_str(),
                    to.as_str(),
                    at
                )?;
                exec!(
                    tx,
                    "DELETE FROM account_affiliations WHERE account_id = $1 AND institution = $2",
                    id,
                    to.as_str()
                )?;
            }
            AccountEvent::PasswordIssued {}
            | AccountEvent::PasswordChanged {}
            | AccountEvent::AccountLockedOut { .. } => {}
        }
        Ok(())
    }
}

/// One account as the directory lists it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AccountEntry {
    pub account_id: String,
    pub login_id: String,
    pub program: String,
    pub role: String,
    pub display_name: String,
    pub doctor_number: Option<String>,
    pub designation_kind: Option<String>,
    pub primary_institution: Option<String>,
    pub responsible_for: Option<String>,
    pub jurisdiction: Option<String>,
    pub status: String,
    pub pending_switch_from: Option<String>,
    pub pending_switch_to: Option<String>,
}

const ENTRY: &str = "SELECT account_id, login_id, program, role, display_name, doctor_number, \
    designation_kind, primary_institution, responsible_for, jurisdiction, status, \
    pending_switch_from, pending_switch_to FROM account_directory";

/// Filters of an account listing; all given ones must match.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub program: String,
    pub role: Option<String>,
    pub primary_institution: Option<String>,
    pub responsible_for: Option<String>,
    /// Municipality users of this jurisdiction.
    pub jurisdiction: Option<String>,
    /// Institutions whose code opens with this prefecture.
    pub institution_prefecture: Option<String>,
    /// Keyset paging: account ids after this one.
    pub after: Option<String>,
    pub limit: i64,
}

pub async fn list(sql: &SqlPool, f: &AccountFilter) -> Result<Vec<AccountEntry>, sqlx::Error> {
    let query = format!(
        "{ENTRY} WHERE program = $1 \
         AND ($2 IS NULL OR role = $2) \
         AND ($3 IS NULL OR primary_institution = $3) \
         AND ($4 IS NULL OR responsible_for = $4) \
         AND ($5 IS NULL OR jurisdiction = $5) \
         AND ($6 IS NULL OR substr(primary_institution, 1, 2) = $6) \
         AND ($7 IS NULL OR account_id > $7) \
         ORDER BY account_id LIMIT $8"
    );
    eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as::<_, AccountEntry>(&query)
            .bind(&f.program)
            .bind(&f.role)
            .bind(&f.primary_institution)
            .bind(&f.responsible_for)
            .bind(&f.jurisdiction)
            .bind(&f.institution_prefecture)
            .bind(&f.after)
            .bind(f.limit)
            .fetch_all(p)
            .await
    })
}

pub async fn get(sql: &SqlPool, account_id: &str) -> Result<Option<AccountEntry>, sqlx::Error> {
    let query = format!("{ENTRY} WHERE account_id = $1");
    eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as::<_, AccountEntry>(&query)
            .bind(account_id)
            .fetch_optional(p)
            .await
    })
}

/// A secondary-affiliation request as listed to the doctor and to the responsible person.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AffiliationEntry {
    pub account_id: String,
    pub institution: String,
    pub status: String,
    pub requested_at: i64,
    pub decided_at: Option<i64>,
    pub display_name: String,
    pub doctor_number: Option<String>,
}

/// Affiliation requests of a program, for an institution or an account, optionally by status.
pub async fn affiliations(
    sql: &SqlPool,
    program: &str,
    institution: Option<&str>,
    account_id: Option<&str>,
    status: Option<&str>,
) -> Result<Vec<AffiliationEntry>, sqlx::Error> {
    const Q: &str = "SELECT a.account_id, a.institution, a.status, a.requested_at, a.decided_at, \
        d.display_name, d.doctor_number FROM account_affiliations a \
        JOIN account_directory d ON d.account_id = a.account_id \
        WHERE a.program = $1 AND ($2 IS NULL OR a.institution = $2) \
        AND ($3 IS NULL OR a.account_id = $3) AND ($4 IS NULL OR a.status = $4) \
        ORDER BY a.requested_at, a.account_id LIMIT 1000";
    eventstore::on_sql!(sql, reader, |p| {
        sqlx::query_as::<_, AffiliationEntry>(Q)
            .bind(program)
            .bind(institution)
            .bind(account_id)
            .bind(status)
            .fetch_all(p)
            .await
    })
}
