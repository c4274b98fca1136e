//! Accounts: creation (one by one and from the 医療機関ユーザデータファイル), login and sessions,
//! passwords, suspension, secondary affiliations and the institution-code switch. The rules of
//! who may do what are the account aggregate's (`domain::account`); this module adds the
//! credential store and the queries that need the account directory.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use domain::account::{
    Account, AccountAction, AccountCommand, AccountError, DesignationRecord, NewAccount,
};
use domain::form::{Actor, Designation};
use domain::institution::Institution;
use domain::municipality::{MunicipalityMaster, MUNICIPALITY_MASTER_STREAM};
use domain::{Aggregate, InstitutionCode, LocalGovernmentCode, Program, Role};
use eventstore::{EventStore, IdempotencyKey, Metadata, StoreError};
use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::credentials;
use crate::ingest::header::{find_header, Column, ColumnMap};
use crate::ingest::{self, normalize, SourceFormat, TableError, TableRows};
use crate::{execute, load, CommandError, Outcome};

/// Why an account operation was not carried out. Nothing was changed in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error(transparent)]
    Command(#[from] CommandError<AccountError>),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A request that is wrong in itself (unknown institution, weak password …).
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// A view the operation needs is behind or unreadable: try again (nothing was changed).
    #[error("{message}")]
    Unavailable { code: &'static str, message: String },
    /// The file is not a user data file (format, encoding, headers).
    #[error("{0}")]
    File(FileError),
}

impl From<StoreError> for AccountsError {
    fn from(e: StoreError) -> Self {
        AccountsError::Command(CommandError::Store(e))
    }
}

fn invalid(code: &'static str, message: impl Into<String>) -> AccountsError {
    AccountsError::Invalid {
        code,
        message: message.into(),
    }
}

fn metadata(actor: &Actor, reason: Option<&str>) -> Metadata {
    let m = Metadata::new(actor.account.clone(), actor.role, Some(actor.program));
    match reason {
        Some(r) => m.with_reason(r.trim()),
        None => m,
    }
}

fn today() -> String {
    crate::forms::today_in_japan()
}

/// A password issued once: returned to the caller and never again.
#[derive(Clone, Serialize)]
pub struct Issued {
    pub account_id: String,
    pub login_id: String,
    pub initial_password: String,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("account_id", &self.account_id)
            .field("login_id", &self.login_id)
            .finish_non_exhaustive()
    }
}

/// What creating an account did.
#[derive(Debug, Clone)]
pub enum Created {
    New(Issued, Outcome),
    /// It existed already (a retried request, a re-uploaded file): nothing changed and no
    /// password is shown again.
    Existing {
        account_id: String,
        login_id: String,
    },
}

/// The fields of a new account other than its login ID (which the registry issues).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    pub role: Role,
    pub display_name: String,
    #[serde(default)]
    pub designation: Option<DesignationRecord>,
    #[serde(default)]
    pub primary_institution: Option<InstitutionCode>,
    #[serde(default)]
    pub responsible_for: Option<InstitutionCode>,
    #[serde(default)]
    pub jurisdiction: Option<domain::LocalGovernmentCode>,
}

/// Creates an account and issues its initial password.
///
/// The credential is stored first (its primary key makes the login ID unique and its unique
/// account id makes a second creation impossible), then the events are appended; if the
/// append fails the credential is removed again. A crash between the two leaves a credential
/// without an account, which opens nothing (login loads the account) and which the next
/// creation of that account replaces.
pub async fn create_account(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    request: CreateAccount,
    reason: Option<&str>,
    key: Option<&IdempotencyKey>,
) -> Result<Created, AccountsError> {
    let id = match (&request.role, &request.designation) {
        (Role::DesignatedDoctor, Some(d)) => Account::doctor_id(actor.program, &d.number),
        _ => match key {
            // A retry with the same key lands on the same account.
            Some(k) => uuid::Uuid::new_v5(
                &uuid::Uuid::NAMESPACE_OID,
                format!("account-key/{}/{}", actor.account, k.as_str()).as_bytes(),
            )
            .to_string(),
            None => Account::new_id(),
        },
    };
    if let Some(institution) = &request.primary_institution {
        registered_institution(store, institution).await?;
    }
    let new = NewAccount {
        login_id: credentials::new_login_id(actor.program),
        role: request.role,
        program: actor.program,
        display_name: request.display_name.trim().to_owned(),
        designation: request.designation,
        primary_institution: request.primary_institution,
        responsible_for: request.responsible_for,
        jurisdiction: request.jurisdiction,
    };
    create(store, actor, id, new, reason).await
}

async fn create(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: String,
    mut new: NewAccount,
    reason: Option<&str>,
) -> Result<Created, AccountsError> {
    let sql = store.sql();
    let (state, _) = load::<Account>(store, &id).await?;
    if let Some(existing) = &state.profile {
        // Only who may see it learns that it exists.
        if existing.program != actor.program {
            return Err(CommandError::Rejected(AccountError::Forbidden(
                "accounts of another program",
            ))
            .into());
        }
        return Ok(Created::Existing {
            account_id: id,
            login_id: existing.login_id.clone(),
        });
    }
    let mut command = AccountCommand {
        actor: actor.clone(),
        reason: reason.map(str::to_owned),
        action: AccountAction::Create {
            id: id.clone(),
            account: Box::new(new.clone()),
        },
    };
    // Decide before storing anything: a refused creation leaves no trace.
    state.decide(&command).map_err(CommandError::Rejected)?;
    if let Some(jurisdiction) = &new.jurisdiction {
        implementing_body(store, jurisdiction).await?;
    }
    let password = credentials::issue_password();
    let hash = credentials::hash_issued(&password);
    let mut stored = false;
    for _ in 0..4 {
        if credentials::insert(&sql, &new.login_id, &id, &hash).await? {
            stored = true;
            break;
        }
        // The account id has a credential without an account (a crash between the two
        // writes): replace it. Otherwise the login ID is taken: draw another.
        if let Some(orphan) = credentials::by_account(&sql, &id).await? {
            credentials::remove_orphan(&sql, &orphan.login_id).await?;
        } else {
            new.login_id = credentials::new_login_id(actor.program);
        }
        command.action = AccountAction::Create {
            id: id.clone(),
            account: Box::new(new.clone()),
        };
    }
    if !stored {
        return Err(invalid(
            "login_id_unavailable",
            "no free login ID could be drawn; try again",
        ));
    }
    match execute::<Account>(store, &id, &command, metadata(actor, reason), None, None).await {
        Ok(outcome) => Ok(Created::New(
            Issued {
                account_id: id,
                login_id: new.login_id,
                initial_password: password,
            },
            outcome,
        )),
        Err(e) => {
            credentials::remove_orphan(&sql, &new.login_id).await?;
            // Created meanwhile by a concurrent request: the same as existing.
            if let CommandError::Rejected(AccountError::AlreadyExists)
            | CommandError::Store(StoreError::Conflict { .. }) = &e
            {
                let (state, _) = load::<Account>(store, &id).await?;
                if let Some(p) = state.profile {
                    return Ok(Created::Existing {
                        account_id: id,
                        login_id: p.login_id,
                    });
                }
            }
            Err(e.into())
        }
    }
}

/// Fails unless `code` is a registered institution.
/// A doctor applies to work at a registered institution as well (兼務先の申請); its
/// responsible person decides.
pub async fn request_affiliation(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    institution: InstitutionCode,
    key: Option<&IdempotencyKey>,
) -> Result<Outcome, AccountsError> {
    institution_exists(store, &institution).await?;
    act(
        store,
        actor,
        &actor.account,
        AccountAction::RequestAffiliation { institution },
        None,
        key,
    )
    .await
}

pub async fn institution_exists(
    store: &Arc<dyn EventStore>,
    code: &InstitutionCode,
) -> Result<(), AccountsError> {
    registered_institution(store, code).await.map(|_| ())
}

async fn registered_institution(
    store: &Arc<dyn EventStore>,
    code: &InstitutionCode,
) -> Result<Institution, AccountsError> {
    let (institution, _) =
        load::<Institution>(store, code.as_str())
            .await
            .map_err(|e| match e {
                CommandError::Store(s) => AccountsError::from(s),
                other => invalid("institution_unreadable", other.to_string()),
            })?;
    if institution.code.is_none() {
        return Err(invalid(
            "unknown_institution",
            "the institution is not registered in the master",
        ));
    }
    Ok(institution)
}

/// A municipality user's jurisdiction is a 実施主体 of the list in force: forms go only to those.
async fn implementing_body(
    store: &Arc<dyn EventStore>,
    code: &LocalGovernmentCode,
) -> Result<(), AccountsError> {
    let (master, _) = load::<MunicipalityMaster>(store, MUNICIPALITY_MASTER_STREAM)
        .await
        .map_err(|e| match e {
            CommandError::Store(s) => AccountsError::from(s),
            // A stored master that cannot be read is the registry's fault, not the caller's.
            CommandError::Unreadable(e) => AccountsError::Command(CommandError::Unreadable(e)),
            CommandError::Rejected(_) => AccountsError::Unavailable {
                code: "municipality_master_unavailable",
                message: "the 実施主体 list cannot be read; try again".into(),
            },
        })?;
    if master.checked_against().body(code).is_none() {
        return Err(invalid(
            "unknown_jurisdiction",
            "the jurisdiction is not an implementing body (a prefecture or a designated city) \
             of the 実施主体 list in force",
        ));
    }
    Ok(())
}

/// First operator of a program, created from the command line (`nanbyo accounts
/// bootstrap-operator`) by the registry itself.
pub async fn bootstrap_operator(
    store: &Arc<dyn EventStore>,
    program: Program,
    display_name: &str,
) -> Result<Created, AccountsError> {
    let system = Actor {
        account: "system".into(),
        role: Role::System,
        program,
        institutions: vec![],
        jurisdiction: None,
        designation: None,
        responsible_for: None,
    };
    let new = NewAccount {
        login_id: credentials::new_login_id(program),
        role: Role::Operator,
        program,
        display_name: display_name.trim().to_owned(),
        designation: None,
        primary_institution: None,
        responsible_for: None,
        jurisdiction: None,
    };
    create(
        store,
        &system,
        Account::new_id(),
        new,
        Some("bootstrap from the command line"),
    )
    .await
}

/// Runs an account command on an existing account.
pub async fn act(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    account_id: &str,
    action: AccountAction,
    reason: Option<&str>,
    key: Option<&IdempotencyKey>,
) -> Result<Outcome, AccountsError> {
    let command = AccountCommand {
        actor: actor.clone(),
        reason: reason.map(str::to_owned),
        action,
    };
    let key = crate::forms::scoped_key(actor, key).map_err(AccountsError::from)?;
    let outcome = execute::<Account>(
        store,
        account_id,
        &command,
        metadata(actor, reason),
        None,
        key.as_ref(),
    )
    .await?;
    Ok(outcome)
}

/// Suspends an account; its sessions end at once.
pub async fn suspend(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    account_id: &str,
    reason: Option<&str>,
    key: Option<&IdempotencyKey>,
) -> Result<Outcome, AccountsError> {
    let o = act(
        store,
        actor,
        account_id,
        AccountAction::Suspend,
        reason,
        key,
    )
    .await?;
    credentials::revoke_all(&store.sql(), account_id).await?;
    Ok(o)
}

/// What a password reset did.
#[derive(Debug)]
pub enum Reset {
    /// A new initial password, shown this once.
    Issued(Issued),
    /// The reset was done before under the same idempotency key: nothing was done again, and
    /// the password issued then (which only its first answer showed) stays.
    Done {
        account_id: String,
        login_id: String,
    },
}

/// Issues a new initial password (shown once); the account's sessions end. A retry under the
/// same idempotency key issues nothing again.
pub async fn reset_password(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    account_id: &str,
    reason: Option<&str>,
    key: Option<&IdempotencyKey>,
) -> Result<Reset, AccountsError> {
    let (state, _) = load::<Account>(store, account_id).await?;
    let command = AccountCommand {
        actor: actor.clone(),
        reason: reason.map(str::to_owned),
        action: AccountAction::ResetPassword,
    };
    let key = crate::forms::scoped_key(actor, key).map_err(AccountsError::from)?;
    let done = |login_id: &str| Reset::Done {
        account_id: account_id.to_owned(),
        login_id: login_id.to_owned(),
    };
    if let Some(k) = &key {
        if store.idempotent_result(k).await?.is_some() {
            // Only who may reset it learns that it was.
            let profile = state.profile().map_err(CommandError::Rejected)?;
            if profile.program != actor.program {
                return Err(CommandError::Rejected(AccountError::NotFound).into());
            }
            return Ok(done(&profile.login_id));
        }
    }
    state.decide(&command).map_err(CommandError::Rejected)?;
    let profile = state.profile().map_err(CommandError::Rejected)?;
    let password = credentials::issue_password();
    let hash = credentials::hash_issued(&password);
    let sql = store.sql();
    // The event first: a reset that is not recorded must not take effect.
    let outcome = execute::<Account>(
        store,
        account_id,
        &command,
        metadata(actor, reason),
        None,
        key.as_ref(),
    )
    .await?;
    if outcome.duplicate {
        // The first attempt under this key committed while this one decided.
        return Ok(done(&profile.login_id));
    }
    if !credentials::set_password(&sql, account_id, &hash).await? {
        credentials::insert(&sql, &profile.login_id, account_id, &hash).await?;
    }
    credentials::revoke_all(&sql, account_id).await?;
    Ok(Reset::Issued(Issued {
        account_id: account_id.to_owned(),
        login_id: profile.login_id.clone(),
        initial_password: password,
    }))
}

/// Why a login failed. The caller learns nothing about which part was wrong, except when the
/// account is locked (it needs to know to wait) or suspended.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("the login ID or the password is wrong")]
    InvalidCredentials,
    #[error("too many failed logins: locked until {until}")]
    Locked {
        until: chrono::DateTime<chrono::Utc>,
    },
    #[error("the account is suspended")]
    Suspended,
    #[error(transparent)]
    Failed(#[from] AccountsError),
}

impl From<sqlx::Error> for LoginError {
    fn from(e: sqlx::Error) -> Self {
        LoginError::Failed(e.into())
    }
}

/// An open session.
#[derive(Clone, Serialize)]
pub struct Session {
    pub token: String,
    /// RFC 3339.
    pub expires_at: String,
    pub account_id: String,
    pub must_change_password: bool,
    /// An institution-code switch that took effect at this login.
    pub switched: Option<(String, String)>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

fn ms_to_time(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Checks a login ID and password and opens a session.
pub async fn login(
    store: &Arc<dyn EventStore>,
    login_id: &str,
    password: &str,
) -> Result<Session, LoginError> {
    let sql = store.sql();
    let credential = credentials::by_login(&sql, login_id).await?;
    let now = chrono::Utc::now().timestamp_millis();
    let Some(credential) = credential else {
        // As slow as a wrong password, so timing does not tell which IDs exist.
        let password = password.to_owned();
        let _ = tokio::task::spawn_blocking(move || {
            credentials::verify(credentials::dummy_hash(), &password)
        })
        .await;
        return Err(LoginError::InvalidCredentials);
    };
    if let Some(until) = credential.locked_until.filter(|u| *u > now) {
        return Err(LoginError::Locked {
            until: ms_to_time(until),
        });
    }
    let stored = credential.password_hash.clone();
    let given = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || credentials::verify(&stored, &given))
        .await
        .unwrap_or(false);
    if !ok {
        if let Some(until) = credentials::record_failure(&sql, login_id).await? {
            let until_text = ms_to_time(until).to_rfc3339();
            let system = system_actor(Program::Nanbyo);
            // The lockout is part of the account's history (who was locked, when, until).
            let (state, _) = load::<Account>(store, &credential.account_id)
                .await
                .map_err(AccountsError::from)?;
            if let Some(p) = &state.profile {
                let system = Actor {
                    program: p.program,
                    ..system
                };
                let command = AccountCommand {
                    actor: system.clone(),
                    reason: Some(format!(
                        "{} failed logins in a row",
                        credentials::MAX_FAILURES
                    )),
                    action: AccountAction::LockOut { until: until_text },
                };
                execute::<Account>(
                    store,
                    &credential.account_id,
                    &command,
                    metadata(&system, command.reason.as_deref()),
                    None,
                    None,
                )
                .await
                .map_err(AccountsError::from)?;
            }
            return Err(LoginError::Locked {
                until: ms_to_time(until),
            });
        }
        return Err(LoginError::InvalidCredentials);
    }
    let (state, _) = load::<Account>(store, &credential.account_id)
        .await
        .map_err(AccountsError::from)?;
    let Some(profile) = state.profile.clone() else {
        // A credential left by a creation that never completed.
        return Err(LoginError::InvalidCredentials);
    };
    if profile.login_id != login_id {
        return Err(LoginError::InvalidCredentials);
    }
    if state.status == domain::account::AccountStatus::Suspended {
        return Err(LoginError::Suspended);
    }
    credentials::record_success(&sql, login_id).await?;
    // 医療機関一括更新: a scheduled switch takes effect now.
    let mut switched = None;
    if let Some((from, to)) = &state.pending_switch {
        let me = state
            .actor(&today())
            .expect("an account with a profile has an actor");
        act(
            store,
            &me,
            &credential.account_id,
            AccountAction::CompleteSwitch,
            Some("institution code switch at login"),
            None,
        )
        .await?;
        switched = Some((from.to_string(), to.to_string()));
    }
    let (token, expires) = credentials::open_session(&sql, &credential.account_id).await?;
    Ok(Session {
        token,
        expires_at: ms_to_time(expires).to_rfc3339(),
        account_id: credential.account_id,
        must_change_password: state.must_change_password,
        switched,
    })
}

fn system_actor(program: Program) -> Actor {
    Actor {
        account: "system".into(),
        role: Role::System,
        program,
        institutions: vec![],
        jurisdiction: None,
        designation: None,
        responsible_for: None,
    }
}

/// Who is calling with `token`: the account as it is now (a suspension or a revoked
/// affiliation takes effect at the next request). `None` for an unknown, expired or revoked
/// token, or an account that cannot act.
pub async fn authenticate(
    store: &Arc<dyn EventStore>,
    token: &str,
) -> Result<Option<(Actor, Account)>, AccountsError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(account_id) = credentials::session_account(&store.sql(), token).await? else {
        return Ok(None);
    };
    let (state, _) = load::<Account>(store, &account_id).await?;
    if state.status != domain::account::AccountStatus::Active {
        return Ok(None);
    }
    Ok(state.actor(&today()).map(|a| (a, state)))
}

pub async fn logout(store: &Arc<dyn EventStore>, token: &str) -> Result<(), AccountsError> {
    credentials::revoke_session(&store.sql(), token).await?;
    Ok(())
}

/// The user changes their own password: the current one is checked, the new one must follow
/// the policy and is stored as argon2id.
pub async fn change_password(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    current: &str,
    new: &str,
    key: Option<&IdempotencyKey>,
) -> Result<Outcome, AccountsError> {
    let sql = store.sql();
    // A retry of a change that was made: the current password is the new one by now.
    let scoped = crate::forms::scoped_key(actor, key).map_err(AccountsError::from)?;
    if let Some(k) = &scoped {
        if let Some((_, first)) = store.idempotent_result(k).await? {
            return Ok(Outcome {
                version: first.last_version,
                position: first.last_position,
                appended: 0,
                duplicate: true,
            });
        }
    }
    let credential = credentials::by_account(&sql, &actor.account)
        .await?
        .ok_or_else(|| invalid("no_credential", "this account has no password"))?;
    let stored = credential.password_hash.clone();
    let given = current.to_owned();
    let ok = tokio::task::spawn_blocking(move || credentials::verify(&stored, &given))
        .await
        .unwrap_or(false);
    if !ok {
        return Err(invalid(
            "wrong_current_password",
            "the current password is wrong",
        ));
    }
    if current == new {
        return Err(invalid(
            "password_unchanged",
            "the new password must differ from the current one",
        ));
    }
    credentials::password_policy(new, &credential.login_id)
        .map_err(|m| invalid("weak_password", m))?;
    let new = new.to_owned();
    let hash = tokio::task::spawn_blocking(move || credentials::hash_chosen(&new))
        .await
        .map_err(|_| invalid("hash_failed", "the password could not be stored"))?;
    let outcome = act(
        store,
        actor,
        &actor.account,
        AccountAction::ChangePassword,
        None,
        key,
    )
    .await?;
    if !outcome.duplicate {
        credentials::set_password(&sql, &actor.account, &hash).await?;
    }
    Ok(outcome)
}

/// How long a query waits for the directory to include a write made just before.
const DIRECTORY_WAIT: Duration = Duration::from_secs(5);

/// Waits until the account directory has applied everything committed so far; fails with
/// [`AccountsError::Unavailable`] when it does not get there in time (a listing or a decision
/// on a stale directory would silently miss accounts).
pub async fn directory_caught_up(store: &Arc<dyn EventStore>) -> Result<(), AccountsError> {
    let head = projections::committed_head(store).await?;
    let reached = projections::wait_for(
        &store.sql(),
        projections::directory::NAME,
        head,
        DIRECTORY_WAIT,
    )
    .await
    .map_err(|e| {
        tracing::warn!(error = %e, "the account directory cannot be read");
        unavailable("directory_unavailable")
    })?;
    if reached {
        Ok(())
    } else {
        Err(unavailable("directory_behind"))
    }
}

fn unavailable(code: &'static str) -> AccountsError {
    AccountsError::Unavailable {
        code,
        message: "the account directory is catching up; try again shortly".into(),
    }
}

/// One account affected by an institution-code switch.
#[derive(Debug, Clone, Serialize)]
pub struct SwitchedAccount {
    pub account_id: String,
    pub login_id: String,
    pub role: String,
    /// `scheduled` now, or `already` (an earlier run scheduled or completed it).
    pub result: &'static str,
}

/// 医療機関一括更新: every designated doctor whose primary institution is `old` and every
/// non-doctor responsible person of it switches to the successor code at their next login.
/// Running it again changes nothing more. Clerks are not switched.
pub async fn switch_institution(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    old: &InstitutionCode,
    reason: Option<&str>,
) -> Result<Vec<SwitchedAccount>, AccountsError> {
    if !matches!(
        actor.role,
        Role::MunicipalityAdmin | Role::MunicipalityStaff
    ) {
        return Err(CommandError::Rejected(AccountError::Forbidden(
            "switch institution codes (municipality users)",
        ))
        .into());
    }
    let in_scope = actor
        .jurisdiction
        .as_ref()
        .is_some_and(|j| domain::account::in_jurisdiction(j, old));
    if !in_scope {
        return Err(CommandError::Rejected(AccountError::Forbidden(
            "switch institutions outside the jurisdiction",
        ))
        .into());
    }
    let institution = registered_institution(store, old).await?;
    let Some(successor) = institution.successor else {
        return Err(invalid(
            "no_successor",
            "the master names no new code for this institution yet",
        ));
    };
    directory_caught_up(store).await?;
    let sql = store.sql();
    let program = actor.program.as_str().to_owned();
    let mut targets = projections::directory::list(
        &sql,
        &projections::directory::AccountFilter {
            program: program.clone(),
            role: Some("designated_doctor".into()),
            primary_institution: Some(old.to_string()),
            limit: 100_000,
            ..Default::default()
        },
    )
    .await?;
    targets.extend(
        projections::directory::list(
            &sql,
            &projections::directory::AccountFilter {
                program,
                role: Some("responsible_person".into()),
                responsible_for: Some(old.to_string()),
                limit: 100_000,
                ..Default::default()
            },
        )
        .await?,
    );
    // Accounts already switched have the new code in the directory: list them as well so a
    // second run reports the same accounts. Only those that came from `old` (their stream
    // says so): others registered at the new code are not this switch's business. An account
    // the directory moved between the two readings is listed once.
    let mut listed: HashSet<String> = targets.iter().map(|t| t.account_id.clone()).collect();
    for (role, by_primary) in [("designated_doctor", true), ("responsible_person", false)] {
        let moved = projections::directory::list(
            &sql,
            &projections::directory::AccountFilter {
                program: actor.program.as_str().to_owned(),
                role: Some(role.into()),
                primary_institution: by_primary.then(|| successor.to_string()),
                responsible_for: (!by_primary).then(|| successor.to_string()),
                limit: 100_000,
                ..Default::default()
            },
        )
        .await?;
        for t in moved {
            let (account, _) = load::<Account>(store, &t.account_id).await?;
            if account.switched_from.contains(old) && listed.insert(t.account_id.clone()) {
                targets.push(t);
            }
        }
    }
    let mut switched = Vec::with_capacity(targets.len());
    for t in targets {
        let outcome = act(
            store,
            actor,
            &t.account_id,
            AccountAction::ScheduleSwitch {
                from: old.clone(),
                to: successor.clone(),
            },
            reason,
            None,
        )
        .await?;
        switched.push(SwitchedAccount {
            account_id: t.account_id,
            login_id: t.login_id,
            role: t.role,
            result: if outcome.appended > 0 {
                "scheduled"
            } else {
                "already"
            },
        });
    }
    Ok(switched)
}

// ---------------------------------------------------------------------------------------
// 医療機関ユーザデータファイル

/// The columns of the user data file (docs/user-data-file.md).
pub const USER_FILE_COLUMNS: &[Column] = &[
    Column {
        id: "institution_code",
        names: &["institution_code", "医療機関コード"],
        required: true,
    },
    Column {
        id: "program",
        names: &["program", "制度"],
        required: true,
    },
    Column {
        id: "doctor_number",
        names: &["doctor_number", "指定医番号"],
        required: true,
    },
    Column {
        id: "designation_kind",
        names: &["designation_kind", "指定医種別"],
        required: true,
    },
    Column {
        id: "valid_from",
        names: &["valid_from", "指定期間開始日"],
        required: true,
    },
    Column {
        id: "valid_to",
        names: &["valid_to", "指定期間終了日"],
        required: false,
    },
    Column {
        id: "name",
        names: &["name", "氏名"],
        required: true,
    },
];

/// A problem with one cell of a row.
#[derive(Debug, Clone, Serialize)]
pub struct CellError {
    /// The column id (`doctor_number` …), or `row` for the row as a whole.
    pub column: &'static str,
    pub code: &'static str,
    pub message: Message,
}

/// A message in both languages: the fixed texts of the row errors are borrowed, not copied
/// into every row.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub ja: Cow<'static, str>,
    pub en: Cow<'static, str>,
}

fn cell(column: &'static str, code: &'static str, ja: &'static str, en: &'static str) -> CellError {
    CellError {
        column,
        code,
        message: Message {
            ja: ja.into(),
            en: en.into(),
        },
    }
}

/// The outcome of one row.
#[derive(Debug, Clone, Serialize)]
pub struct RowResult {
    pub row: usize,
    /// `created`, `already_registered` or `error`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_id: Option<String>,
    /// True for the row that made the doctor the institution's responsible person.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub responsible_person: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<CellError>,
}

/// One line of the ID・PW発行通知書 (returned once, with the upload's answer).
#[derive(Clone, Serialize)]
pub struct Notice {
    pub row: usize,
    pub institution_code: String,
    pub doctor_number: String,
    pub name: String,
    pub login_id: String,
    pub initial_password: String,
}

/// At most this many rows in error are listed in an answer: the first ones, by row. The others
/// are counted (in all and per code), so that a file of a million bad rows neither holds a
/// million rows' errors in memory nor answers with them.
pub const LISTED_ERROR_ROWS: usize = 1_000;

#[derive(Clone, Serialize)]
pub struct UserFileResult {
    pub format: SourceFormat,
    /// The row the header was found in: row 1, or lower when a title and notes are above it.
    pub header_row: usize,
    /// The data rows of the file.
    pub rows: usize,
    pub created: usize,
    pub already_registered: usize,
    /// The rows in error, listed or not.
    pub errors: usize,
    /// Every registered row, and the first [`LISTED_ERROR_ROWS`] rows in error, by row.
    pub results: Vec<RowResult>,
    /// The rows in error left out of `results` (0 unless there are more than
    /// [`LISTED_ERROR_ROWS`]).
    pub omitted_error_rows: usize,
    /// How many rows have each error code, listed or not.
    pub error_codes: BTreeMap<&'static str, usize>,
    /// Says that rows in error were left out, when they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Message>,
    pub notification: Vec<Notice>,
}

/// The rows in error of a file: the first [`LISTED_ERROR_ROWS`] by row kept whole, every one
/// counted.
#[derive(Default)]
struct ErrorRows {
    listed: Vec<RowResult>,
    /// Once [`LISTED_ERROR_ROWS`] rows are known to come first, the last of them: a later
    /// row cannot be listed.
    bound: Option<usize>,
    count: usize,
    codes: BTreeMap<&'static str, usize>,
}

impl ErrorRows {
    fn push(&mut self, result: RowResult) {
        self.count += 1;
        let mut codes: Vec<&'static str> = result.errors.iter().map(|e| e.code).collect();
        codes.sort_unstable();
        codes.dedup();
        for code in codes {
            *self.codes.entry(code).or_default() += 1;
        }
        // Rows in error arrive in file order while the file is read, and out of order while
        // it is registered: keep up to twice the rows listed, then cut back to the first ones.
        if self.bound.is_none_or(|bound| result.row < bound) {
            self.listed.push(result);
            if self.listed.len() >= 2 * LISTED_ERROR_ROWS {
                self.cut();
            }
        }
    }

    fn cut(&mut self) {
        self.listed.sort_by_key(|r| r.row);
        self.listed.truncate(LISTED_ERROR_ROWS);
        if self.listed.len() == LISTED_ERROR_ROWS {
            self.bound = self.listed.last().map(|r| r.row);
        }
    }

    /// The rows listed, by row.
    fn into_listed(mut self) -> Vec<RowResult> {
        self.cut();
        self.listed
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// A file that cannot be read as a user data file at all.
#[derive(Debug, Clone, Serialize)]
pub struct FileError {
    pub code: &'static str,
    pub message: Message,
    /// Missing, unknown and duplicated columns, when the headers are wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<serde_json::Value>,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message.en)
    }
}

impl From<TableError> for FileError {
    fn from(e: TableError) -> Self {
        FileError {
            code: e.code(),
            message: Message {
                ja: e.message_ja().into(),
                en: e.message_en().into(),
            },
            columns: None,
        }
    }
}

impl From<ingest::FileError> for FileError {
    fn from(e: ingest::FileError) -> Self {
        match e {
            ingest::FileError::Table(e) => e.into(),
            other => FileError {
                code: other.code(),
                message: Message {
                    ja: other.message_ja().into(),
                    en: other.message_en().into(),
                },
                columns: None,
            },
        }
    }
}

struct UserRow {
    row: usize,
    institution: InstitutionCode,
    designation: DesignationRecord,
    name: String,
}

fn designation_kind(s: &str) -> Option<Designation> {
    match s {
        "難病指定医" | "nanbyo" => Some(Designation::Nanbyo),
        "協力難病指定医" | "cooperating_nanbyo" => Some(Designation::CooperatingNanbyo),
        "小慢指定医" | "小児慢性特定疾病指定医" | "shoman" => {
            Some(Designation::Shoman)
        }
        _ => None,
    }
}

/// Validates a row on its own (no database).
fn parse_row(
    columns: &ColumnMap,
    row: usize,
    cells: &[(usize, String)],
    program: Program,
) -> Result<UserRow, Vec<CellError>> {
    let get = |id: &str| columns.get(cells, id);
    // Codes, numbers and dates as typed by hand: full-width digits read as ASCII.
    let code = |id: &str| get(id).map(normalize::code);
    let mut errors = vec![];
    let institution = match code("institution_code").map(|c| InstitutionCode::parse(&c)) {
        Some(Ok(c)) => Some(c),
        Some(Err(_)) => {
            errors.push(cell(
                "institution_code",
                "invalid_institution_code",
                "医療機関コードが正しくありません（10桁・検証番号）。",
                "The institution code is not valid (10 digits with its check digit).",
            ));
            None
        }
        None => {
            errors.push(cell(
                "institution_code",
                "required",
                "医療機関コードを入力してください。",
                "The institution code is required.",
            ));
            None
        }
    };
    let row_program = match code("program").map(|p| p.parse::<Program>()) {
        Some(Ok(p)) => Some(p),
        Some(Err(_)) => {
            errors.push(cell(
                "program",
                "invalid_program",
                "制度は「難病」または「小慢」です。",
                "The program is 難病 (nanbyo) or 小慢 (shoman).",
            ));
            None
        }
        None => {
            errors.push(cell(
                "program",
                "required",
                "制度を入力してください。",
                "The program is required.",
            ));
            None
        }
    };
    let kind = match code("designation_kind").map(|k| designation_kind(&k)) {
        Some(Some(k)) => Some(k),
        Some(None) => {
            errors.push(cell(
                "designation_kind",
                "invalid_designation_kind",
                "指定医種別は「難病指定医」「協力難病指定医」「小慢指定医」のいずれかです。",
                "The designation kind is 難病指定医, 協力難病指定医 or 小慢指定医.",
            ));
            None
        }
        None => {
            errors.push(cell(
                "designation_kind",
                "required",
                "指定医種別を入力してください。",
                "The designation kind is required.",
            ));
            None
        }
    };
    let number = match code("doctor_number") {
        Some(n) if domain::account::valid_doctor_number(&n) => Some(n),
        Some(_) => {
            errors.push(cell(
                "doctor_number",
                "invalid_doctor_number",
                "指定医番号は英数字とハイフンの20文字以内です。",
                "A doctor number is up to 20 letters, digits or hyphens.",
            ));
            None
        }
        None => {
            errors.push(cell(
                "doctor_number",
                "required",
                "指定医番号を入力してください。",
                "The doctor number is required.",
            ));
            None
        }
    };
    let valid_from = match get("valid_from").map(normalize::date) {
        Some(Some(d)) => Some(d),
        Some(None) => {
            errors.push(cell(
                "valid_from",
                "invalid_date",
                "指定期間開始日は YYYY-MM-DD の日付です。",
                "The start of the designation is a date YYYY-MM-DD.",
            ));
            None
        }
        None => {
            errors.push(cell(
                "valid_from",
                "required",
                "指定期間開始日を入力してください。",
                "The start of the designation is required.",
            ));
            None
        }
    };
    let valid_to = match get("valid_to").map(normalize::date) {
        Some(Some(d)) => Some(d),
        Some(None) => {
            errors.push(cell(
                "valid_to",
                "invalid_date",
                "指定期間終了日は YYYY-MM-DD の日付です。",
                "The end of the designation is a date YYYY-MM-DD.",
            ));
            None
        }
        None => None,
    };
    let name = match get("name") {
        Some(n) if n.chars().count() <= 100 => Some(n.to_owned()),
        Some(_) => {
            errors.push(cell(
                "name",
                "too_long",
                "氏名は100文字以内です。",
                "A name has at most 100 characters.",
            ));
            None
        }
        None => {
            errors.push(cell(
                "name",
                "required",
                "氏名を入力してください。",
                "The name is required.",
            ));
            None
        }
    };
    // The seed's rule: a 難病 account registers only 難病 doctors, and the reverse.
    let kind_program = kind.map(|k| match k {
        Designation::Nanbyo | Designation::CooperatingNanbyo => Program::Nanbyo,
        Designation::Shoman => Program::Shoman,
    });
    if let (Some(p), Some(k)) = (row_program, kind_program) {
        if p != k {
            errors.push(cell(
                "designation_kind",
                "designation_of_other_program",
                "指定医種別が制度と一致しません。",
                "The designation kind does not belong to the row's program.",
            ));
        }
    }
    if row_program.is_some_and(|p| p != program) {
        let (ja, en) = match program {
            Program::Nanbyo => (
                "難病のアカウントでは小慢の指定医は登録できません。",
                "A 難病 account registers only 難病 doctors; this row is a 小慢 doctor.",
            ),
            Program::Shoman => (
                "小慢のアカウントでは難病の指定医は登録できません。",
                "A 小慢 account registers only 小慢 doctors; this row is a 難病 doctor.",
            ),
        };
        errors.push(cell("program", "other_program", ja, en));
    }
    if let (Some(f), Some(t)) = (&valid_from, &valid_to) {
        if t < f {
            errors.push(cell(
                "valid_to",
                "dates_reversed",
                "指定期間終了日が開始日より前です。",
                "The designation ends before it starts.",
            ));
        }
    }
    match (institution, kind, number, valid_from, name) {
        (Some(institution), Some(kind), Some(number), Some(valid_from), Some(name))
            if errors.is_empty() =>
        {
            Ok(UserRow {
                row,
                institution,
                designation: DesignationRecord {
                    number,
                    kind,
                    valid_from,
                    valid_to,
                },
                name,
            })
        }
        _ => Err(errors),
    }
}

/// Registers the designated doctors of a 医療機関ユーザデータファイル (municipality admin).
///
/// Every row is checked on its own; valid rows are registered even when others fail, and each
/// row either creates its account completely or not at all. The first registered doctor of an
/// institution that has no responsible person yet becomes it. A doctor's account id comes from
/// program and doctor number, so uploading the same file again creates nothing.
pub async fn register_user_file<B>(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    bytes: B,
) -> Result<UserFileResult, AccountsError>
where
    B: AsRef<[u8]> + Send + 'static,
{
    if actor.role != Role::MunicipalityAdmin {
        return Err(CommandError::Rejected(AccountError::Forbidden(
            "register users from a user data file (municipality admins)",
        ))
        .into());
    }
    let program = actor.program;
    // Reading is CPU work (and an XLSX is read on a thread of its own, waited for).
    let file = tokio::task::spawn_blocking(move || read_user_file(bytes, program))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
        .map_err(AccountsError::File)?;
    let ReadFile {
        format,
        header_row,
        mut errors,
        groups,
    } = file;
    // Responsible persons already known (so a second file does not name another one).
    directory_caught_up(store).await?;
    let mut notification = vec![];
    // First, per institution (institutions side by side): check the institution, and register
    // its rows in file order until it has a responsible person, so that the first registered
    // doctor of an institution without one becomes it. The rows left over are independent of
    // each other and go in side by side.
    let mut rest = vec![];
    let mut outcomes = vec![];
    let mut firsts = stream::iter(groups)
        .map(|(institution, rows)| first_rows(store, actor, institution, rows))
        .buffer_unordered(FILE_CONCURRENCY);
    while let Some(group) = firsts.next().await {
        let (done, left) = group?;
        outcomes.extend(done);
        rest.extend(left);
    }
    drop(firsts);
    let mut others = stream::iter(rest)
        .map(|row| register_doctor(store, actor, row, false))
        .buffer_unordered(FILE_CONCURRENCY);
    while let Some(outcome) = others.next().await {
        outcomes.push(outcome?);
    }
    let mut results = vec![];
    for (result, notice) in outcomes {
        if result.status == "error" {
            errors.push(result);
        } else {
            results.push(result);
        }
        notification.extend(notice);
    }
    let count = |s: &str| results.iter().filter(|r| r.status == s).count();
    let (created, already_registered) = (count("created"), count("already_registered"));
    let rows = results.len() + errors.count;
    let (error_count, error_codes) = (errors.count, std::mem::take(&mut errors.codes));
    results.extend(errors.into_listed());
    results.sort_by_key(|r| r.row);
    notification.sort_by_key(|n: &Notice| n.row);
    let omitted_error_rows = rows - results.len();
    let note = (omitted_error_rows > 0).then(|| Message {
        ja: format!(
            "エラーの行が{error_count}行あります。最初の{LISTED_ERROR_ROWS}行だけを示し、\
             残りの{omitted_error_rows}行は省略しました（エラーの種類ごとの行数は error_codes）。\
             示した行を直して再度アップロードしてください。登録済みの行は二重に登録されません。"
        )
        .into(),
        en: format!(
            "{error_count} rows are in error. Only the first {LISTED_ERROR_ROWS} are listed; \
             the other {omitted_error_rows} are left out (error_codes counts the rows of each \
             error). Correct the rows listed and upload the file again: rows registered already \
             are not registered twice."
        )
        .into(),
    });
    Ok(UserFileResult {
        format,
        header_row,
        rows,
        created,
        already_registered,
        errors: error_count,
        results,
        omitted_error_rows,
        error_codes,
        note,
        notification,
    })
}

/// A user data file read and its rows checked on their own (no database).
struct ReadFile {
    format: SourceFormat,
    header_row: usize,
    /// The rows refused already.
    errors: ErrorRows,
    /// The valid rows of each institution, in file order.
    groups: Vec<(InstitutionCode, Vec<UserRow>)>,
}

/// Reads a user data file row by row: the header (below a title and notes, if any), then each
/// data row, checked and kept as the little it needs — never the file's cells as a whole.
fn read_user_file<B>(bytes: B, program: Program) -> Result<ReadFile, FileError>
where
    B: AsRef<[u8]> + Send + 'static,
{
    let mut rows = TableRows::from_memory(bytes)?;
    let format = rows.format();
    let columns = find_header(&mut rows, USER_FILE_COLUMNS)?.map_err(|e| wrong_headers(&e))?;
    let mut errors = ErrorRows::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut groups: Vec<(InstitutionCode, Vec<UserRow>)> = vec![];
    let mut group_of: HashMap<InstitutionCode, usize> = HashMap::new();
    while let Some(row) = rows.next_row()? {
        let cells = match row.cells {
            Ok(cells) => cells,
            Err(e) => {
                let error = CellError {
                    column: "row",
                    code: e.code,
                    message: Message {
                        ja: e.message_ja.into(),
                        en: e.message_en.into(),
                    },
                };
                errors.push(error_row(row.row, vec![error]));
                continue;
            }
        };
        match parse_row(&columns, row.row, &cells, program) {
            Ok(user) => {
                if !seen.insert(user.designation.number.clone()) {
                    errors.push(error_row(
                        row.row,
                        vec![cell(
                            "doctor_number",
                            "duplicate_row",
                            "同じ指定医番号の行がファイル内に既にあります。",
                            "An earlier row of this file has the same doctor number.",
                        )],
                    ));
                    continue;
                }
                let g = *group_of.entry(user.institution.clone()).or_insert_with(|| {
                    groups.push((user.institution.clone(), vec![]));
                    groups.len() - 1
                });
                groups[g].1.push(user);
            }
            Err(cells) => errors.push(error_row(row.row, cells)),
        }
    }
    if errors.is_empty() && groups.is_empty() {
        return Err(FileError {
            code: "empty_file",
            message: Message {
                ja: format!(
                    "{}行目の見出し行の下にデータ行がありません。",
                    columns.header_row
                )
                .into(),
                en: format!(
                    "The file has no data rows below its header row (row {}).",
                    columns.header_row
                )
                .into(),
            },
            columns: None,
        });
    }
    Ok(ReadFile {
        format,
        header_row: columns.header_row,
        errors,
        groups,
    })
}

/// The header row does not match the user data file layout: the error names column positions,
/// with at most a short excerpt of a header cell that is not shaped like a person's data.
fn wrong_headers(e: &crate::ingest::header::HeaderError) -> FileError {
    FileError {
        code: "wrong_headers",
        message: Message {
            ja: format!(
                "見出し行が医療機関ユーザデータファイルの様式と一致しません。{}",
                e.message_ja()
            )
            .into(),
            en: format!(
                "The header row does not match the user data file layout. {}",
                e.message_en()
            )
            .into(),
        },
        columns: Some(e.details()),
    }
}

/// How many rows of a user data file are registered at the same time.
const FILE_CONCURRENCY: usize = 16;

type RowOutcome = (RowResult, Option<Notice>);

/// Checks an institution and registers its rows in order until it has a responsible person;
/// returns the outcomes and the rows left.
async fn first_rows(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    institution: InstitutionCode,
    rows: Vec<UserRow>,
) -> Result<(Vec<RowOutcome>, Vec<UserRow>), AccountsError> {
    if let Err(e) = check_institution(store, actor, &institution).await? {
        let done = rows
            .into_iter()
            .map(|row| (error_row(row.row, vec![e.clone()]), None))
            .collect();
        return Ok((done, vec![]));
    }
    let existing = projections::directory::list(
        &store.sql(),
        &projections::directory::AccountFilter {
            program: actor.program.as_str().into(),
            responsible_for: Some(institution.to_string()),
            limit: 1,
            ..Default::default()
        },
    )
    .await?;
    let mut settled = !existing.is_empty();
    let mut done = vec![];
    let mut rows = rows.into_iter();
    while !settled {
        let Some(row) = rows.next() else { break };
        let outcome = register_doctor(store, actor, row, true).await?;
        settled = outcome.0.responsible_person;
        done.push(outcome);
    }
    Ok((done, rows.collect()))
}

/// Registers one row's doctor; a refusal is the row's error.
async fn register_doctor(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    row: UserRow,
    becomes_responsible: bool,
) -> Result<RowOutcome, AccountsError> {
    let id = Account::doctor_id(actor.program, &row.designation.number);
    let new = NewAccount {
        login_id: credentials::new_login_id(actor.program),
        role: Role::DesignatedDoctor,
        program: actor.program,
        display_name: row.name.clone(),
        designation: Some(row.designation.clone()),
        primary_institution: Some(row.institution.clone()),
        responsible_for: becomes_responsible.then(|| row.institution.clone()),
        jurisdiction: None,
    };
    match create(store, actor, id, new, Some("医療機関ユーザデータファイル")).await {
        Ok(Created::New(issued, _)) => Ok((
            RowResult {
                row: row.row,
                status: "created",
                account_id: Some(issued.account_id),
                login_id: Some(issued.login_id.clone()),
                responsible_person: becomes_responsible,
                errors: vec![],
            },
            Some(Notice {
                row: row.row,
                institution_code: row.institution.to_string(),
                doctor_number: row.designation.number,
                name: row.name,
                login_id: issued.login_id,
                initial_password: issued.initial_password,
            }),
        )),
        Ok(Created::Existing {
            account_id,
            login_id,
        }) => Ok((
            RowResult {
                row: row.row,
                status: "already_registered",
                account_id: Some(account_id),
                login_id: Some(login_id),
                responsible_person: false,
                errors: vec![],
            },
            None,
        )),
        Err(AccountsError::Command(CommandError::Rejected(e))) => {
            let (code, ja) = match e {
                AccountError::Forbidden(_) => {
                    ("forbidden", "この医療機関の指定医は登録できません。")
                }
                _ => ("invalid_row", "この行は登録できません。"),
            };
            let error = CellError {
                column: "row",
                code,
                message: Message {
                    ja: ja.into(),
                    en: e.to_string().into(),
                },
            };
            Ok((error_row(row.row, vec![error]), None))
        }
        Err(other) => Err(other),
    }
}

fn error_row(row: usize, errors: Vec<CellError>) -> RowResult {
    RowResult {
        row,
        status: "error",
        account_id: None,
        login_id: None,
        responsible_person: false,
        errors,
    }
}

async fn check_institution(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    code: &InstitutionCode,
) -> Result<Result<(), CellError>, AccountsError> {
    match registered_institution(store, code).await {
        Ok(i) if i.successor.is_some() => Ok(Err(cell(
            "institution_code",
            "institution_code_replaced",
            "この医療機関コードは新しいコードに変更されています。",
            "This institution code has been replaced by a new code.",
        ))),
        Ok(_) => {
            let in_scope = actor
                .jurisdiction
                .as_ref()
                .is_some_and(|j| domain::account::in_jurisdiction(j, code));
            Ok(if in_scope {
                Ok(())
            } else {
                Err(cell(
                    "institution_code",
                    "outside_jurisdiction",
                    "管轄外の医療機関です。",
                    "The institution is outside your jurisdiction.",
                ))
            })
        }
        Err(AccountsError::Invalid { .. }) => Ok(Err(cell(
            "institution_code",
            "unknown_institution",
            "医療機関マスタに登録されていない医療機関コードです。",
            "The institution is not registered in the master.",
        ))),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(row: usize, code: &'static str) -> RowResult {
        error_row(row, vec![cell("institution_code", code, "ja", "en")])
    }

    /// Rows in error come in file order from the reading and out of order from the
    /// registration (a whole institution refused at once): the first ones by row are listed,
    /// every one counted.
    #[test]
    fn the_first_rows_in_error_are_listed_and_all_counted() {
        let mut errors = ErrorRows::default();
        for row in (2..5_000).filter(|r| r % 2 == 0) {
            errors.push(error(row, "invalid_institution_code"));
        }
        for row in (3..5_000).rev().filter(|r| r % 2 == 1) {
            errors.push(error(row, "unknown_institution"));
        }
        assert_eq!(errors.count, 4_998);
        assert_eq!(errors.codes["invalid_institution_code"], 2_499);
        assert_eq!(errors.codes["unknown_institution"], 2_499);
        let listed: Vec<usize> = errors.into_listed().iter().map(|r| r.row).collect();
        assert_eq!(listed, (2..2 + LISTED_ERROR_ROWS).collect::<Vec<_>>());
    }

    #[test]
    fn a_row_counts_once_per_code() {
        let mut errors = ErrorRows::default();
        errors.push(error_row(
            7,
            vec![
                cell("program", "required", "ja", "en"),
                cell("name", "required", "ja", "en"),
            ],
        ));
        assert_eq!(errors.codes["required"], 1);
        assert_eq!(errors.into_listed().len(), 1);
    }
}
