//! An account (アカウント): who a user is in one program, what they may do and where. One
//! stream per account; every change (creation, password issuance, suspension, a secondary
//! affiliation, an institution-code switch) is an event with its actor and reason in the
//! metadata. Passwords and their hashes are never in an event: the credential store keeps the
//! hash, the stream records only that a password was issued or changed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::codes::{InstitutionCode, LocalGovernmentCode};
use crate::event::{DomainEvent, EventKind};
use crate::form::{Actor, Designation};
use crate::judgment::valid_date;
use crate::program::{Program, Role};

/// A designated doctor's designation (指定医の指定): number, kind and validity period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesignationRecord {
    /// 指定医番号, as the prefecture issued it.
    pub number: String,
    pub kind: Designation,
    /// `YYYY-MM-DD`, inclusive.
    pub valid_from: String,
    /// `YYYY-MM-DD`, inclusive; none for an open-ended designation.
    pub valid_to: Option<String>,
}

impl DesignationRecord {
    /// The program a designation of this kind belongs to.
    pub fn program(&self) -> Program {
        match self.kind {
            Designation::Nanbyo | Designation::CooperatingNanbyo => Program::Nanbyo,
            Designation::Shoman => Program::Shoman,
        }
    }

    /// In force on `today` (`YYYY-MM-DD`)?
    pub fn in_force(&self, today: &str) -> bool {
        self.valid_from.as_str() <= today && self.valid_to.as_deref().is_none_or(|to| today <= to)
    }
}

/// A doctor number: 1 to 20 ASCII letters, digits or hyphens.
pub fn valid_doctor_number(s: &str) -> bool {
    (1..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Everything an account is created with.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    /// The ID the user logs in with (issued by the registry, unique).
    pub login_id: String,
    pub role: Role,
    pub program: Program,
    /// The user's name (personal data: shown to the user and to who manages them, never logged).
    pub display_name: String,
    #[serde(default)]
    pub designation: Option<DesignationRecord>,
    /// 主たる勤務先 (doctors), the institution of a clerk or of a responsible person.
    #[serde(default)]
    pub primary_institution: Option<InstitutionCode>,
    /// The institution this account is the 責任者 of (a responsible person, or a doctor who is).
    #[serde(default)]
    pub responsible_for: Option<InstitutionCode>,
    /// The prefecture or designated city of a municipality user.
    #[serde(default)]
    pub jurisdiction: Option<LocalGovernmentCode>,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("login_id", &self.login_id)
            .field("role", &self.role)
            .field("program", &self.program)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AccountEvent {
    AccountCreated {
        id: String,
        account: NewAccount,
    },
    /// An initial or reset password was issued (shown once); it must be changed at next login.
    PasswordIssued {},
    /// The user set their own password.
    PasswordChanged {},
    /// Too many failed logins: refused until `until` (RFC 3339).
    AccountLockedOut {
        until: String,
    },
    AccountSuspended {},
    AccountReactivated {},
    /// A doctor applied to work at another institution (兼務先登録申請).
    AffiliationRequested {
        institution: InstitutionCode,
    },
    AffiliationApproved {
        institution: InstitutionCode,
    },
    AffiliationRejected {
        institution: InstitutionCode,
    },
    AffiliationRevoked {
        institution: InstitutionCode,
    },
    /// 医療機関一括更新: the account moves from `from` to `to` at its next login.
    InstitutionSwitchScheduled {
        from: InstitutionCode,
        to: InstitutionCode,
    },
    InstitutionSwitched {
        from: InstitutionCode,
        to: InstitutionCode,
    },
}

impl DomainEvent for AccountEvent {
    const KINDS: &'static [EventKind] = &[
        EventKind::new("AccountCreated"),
        EventKind::new("PasswordIssued"),
        EventKind::new("PasswordChanged"),
        EventKind::new("AccountLockedOut"),
        EventKind::new("AccountSuspended"),
        EventKind::new("AccountReactivated"),
        EventKind::new("AffiliationRequested"),
        EventKind::new("AffiliationApproved"),
        EventKind::new("AffiliationRejected"),
        EventKind::new("AffiliationRevoked"),
        EventKind::new("InstitutionSwitchScheduled"),
        EventKind::new("InstitutionSwitched"),
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AffiliationStatus {
    Pending,
    Approved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    #[default]
    Active,
    Suspended,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Account {
    pub id: String,
    pub profile: Option<NewAccount>,
    pub status: AccountStatus,
    pub must_change_password: bool,
    pub locked_until: Option<String>,
    /// Secondary institutions (兼務先): pending requests and approved ones.
    pub secondary: BTreeMap<InstitutionCode, AffiliationStatus>,
    /// A scheduled institution-code switch, taking effect at the next login.
    pub pending_switch: Option<(InstitutionCode, InstitutionCode)>,
    /// Codes this account was switched away from (a second run of the same switch is a no-op).
    pub switched_from: Vec<InstitutionCode>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AccountAction {
    Create {
        id: String,
        account: Box<NewAccount>,
    },
    /// Issue a new initial password (by whoever manages the account).
    ResetPassword,
    /// The user changes their own password.
    ChangePassword,
    LockOut {
        until: String,
    },
    Suspend,
    Reactivate,
    RequestAffiliation {
        institution: InstitutionCode,
    },
    DecideAffiliation {
        institution: InstitutionCode,
        approve: bool,
    },
    RevokeAffiliation {
        institution: InstitutionCode,
    },
    ScheduleSwitch {
        from: InstitutionCode,
        to: InstitutionCode,
    },
    /// At login: the scheduled switch takes effect.
    CompleteSwitch,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccountCommand {
    pub actor: Actor,
    /// Mandatory for suspension, reactivation, rejection and revocation.
    pub reason: Option<String>,
    pub action: AccountAction,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("not permitted: {0}")]
    Forbidden(&'static str),
    #[error("no such account")]
    NotFound,
    #[error("the account already exists")]
    AlreadyExists,
    #[error("{0}")]
    Invalid(&'static str),
    #[error("a reason is required")]
    ReasonRequired,
    #[error("the account is suspended")]
    Suspended,
    #[error("nothing to do: {0}")]
    Nothing(&'static str),
}

impl Account {
    pub fn exists(&self) -> bool {
        self.profile.is_some()
    }

    pub fn profile(&self) -> Result<&NewAccount, AccountError> {
        self.profile.as_ref().ok_or(AccountError::NotFound)
    }

    /// The institutions this account works at: primary and approved secondary ones.
    pub fn institutions(&self) -> Vec<InstitutionCode> {
        let Some(p) = &self.profile else {
            return vec![];
        };
        let mut all: Vec<InstitutionCode> = p.primary_institution.iter().cloned().collect();
        for (code, status) in &self.secondary {
            if *status == AffiliationStatus::Approved && !all.contains(code) {
                all.push(code.clone());
            }
        }
        all
    }

    /// The scope this account acts with on `today` (`YYYY-MM-DD`): a designation out of its
    /// validity period gives no designation (the doctor can still write drafts, not submit).
    pub fn actor(&self, today: &str) -> Option<Actor> {
        let p = self.profile.as_ref()?;
        Some(Actor {
            account: self.id.clone(),
            role: p.role,
            program: p.program,
            institutions: self.institutions(),
            jurisdiction: p.jurisdiction.clone(),
            designation: p
                .designation
                .as_ref()
                .filter(|d| d.in_force(today))
                .map(|d| d.kind),
            responsible_for: p.responsible_for.clone(),
        })
    }
}

/// Is `actor` the responsible person (責任者) of `institution`?
pub fn is_responsible_for(actor: &Actor, institution: &InstitutionCode) -> bool {
    matches!(actor.role, Role::ResponsiblePerson | Role::DesignatedDoctor)
        && actor.responsible_for.as_ref() == Some(institution)
}

/// May a municipality user act for an institution? Its code opens with its prefecture; a
/// prefecture and the designated cities in it act for the institutions of the prefecture.
pub fn in_jurisdiction(jurisdiction: &LocalGovernmentCode, institution: &InstitutionCode) -> bool {
    jurisdiction.prefecture() == institution.prefecture()
}

/// Who creates whom (SPEC roles): the operator creates municipality admins, operators and
/// auditors; a municipality admin creates municipality staff of its own jurisdiction and the
/// doctors and responsible persons of institutions in it; a responsible person registers
/// clerks of their institution. Always in the actor's own program.
fn may_create(actor: &Actor, new: &NewAccount) -> Result<(), AccountError> {
    if actor.program != new.program {
        return Err(AccountError::Forbidden(
            "accounts of another program (one account per program)",
        ));
    }
    let ok = match (actor.role, new.role) {
        (Role::Operator, Role::MunicipalityAdmin | Role::Operator | Role::Auditor) => true,
        // `nanbyo accounts bootstrap-operator`: the first operator of a program.
        (Role::System, Role::Operator) => true,
        (Role::MunicipalityAdmin, Role::MunicipalityStaff) => {
            actor.jurisdiction.is_some() && actor.jurisdiction == new.jurisdiction
        }
        (Role::MunicipalityAdmin, Role::DesignatedDoctor | Role::ResponsiblePerson) => {
            match (&actor.jurisdiction, &new.primary_institution) {
                (Some(j), Some(i)) => in_jurisdiction(j, i),
                _ => false,
            }
        }
        (Role::ResponsiblePerson | Role::DesignatedDoctor, Role::Clerk) => new
            .primary_institution
            .as_ref()
            .is_some_and(|i| is_responsible_for(actor, i)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AccountError::Forbidden(
            "create this account (operator → municipality admin; municipality admin → staff and \
             doctors of its jurisdiction; responsible person → clerks)",
        ))
    }
}

/// Does `actor` manage `target` (suspend, reactivate, reset its password)? The one who may
/// create such an account manages it.
fn manages(actor: &Actor, target: &NewAccount) -> bool {
    may_create(actor, target).is_ok()
}

fn valid_profile(new: &NewAccount) -> Result<(), AccountError> {
    let name = new.display_name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AccountError::Invalid(
            "a name of 1 to 100 characters is required",
        ));
    }
    if !valid_login_id(&new.login_id) {
        return Err(AccountError::Invalid(
            "a login ID is 6 to 32 ASCII letters, digits, '-' or '_'",
        ));
    }
    let institution_role = matches!(
        new.role,
        Role::DesignatedDoctor | Role::Clerk | Role::ResponsiblePerson
    );
    let municipality_role = matches!(new.role, Role::MunicipalityAdmin | Role::MunicipalityStaff);
    if institution_role != new.primary_institution.is_some() {
        return Err(AccountError::Invalid(
            "doctors, clerks and responsible persons have an institution; others do not",
        ));
    }
    if municipality_role != new.jurisdiction.is_some() {
        return Err(AccountError::Invalid(
            "municipality users have a jurisdiction; others do not",
        ));
    }
    match (new.role, &new.designation) {
        (Role::DesignatedDoctor, Some(d)) => {
            if !valid_doctor_number(&d.number) {
                return Err(AccountError::Invalid(
                    "a doctor number is 1 to 20 letters, digits or '-'",
                ));
            }
            if d.program() != new.program {
                return Err(AccountError::Invalid(
                    "the designation belongs to the other program",
                ));
            }
            if !valid_date(&d.valid_from) || d.valid_to.as_deref().is_some_and(|t| !valid_date(t)) {
                return Err(AccountError::Invalid("designation dates are YYYY-MM-DD"));
            }
            if d.valid_to
                .as_deref()
                .is_some_and(|t| t < d.valid_from.as_str())
            {
                return Err(AccountError::Invalid(
                    "the designation ends before it starts",
                ));
            }
        }
        (Role::DesignatedDoctor, None) => {
            return Err(AccountError::Invalid(
                "a designated doctor needs a designation",
            ))
        }
        (_, Some(_)) => {
            return Err(AccountError::Invalid(
                "only designated doctors have a designation",
            ))
        }
        (_, None) => {}
    }
    match (new.role, &new.responsible_for) {
        (Role::ResponsiblePerson, None) => Err(AccountError::Invalid(
            "a responsible person is responsible for an institution",
        )),
        (Role::ResponsiblePerson | Role::DesignatedDoctor, Some(r))
            if Some(r) != new.primary_institution.as_ref() =>
        {
            Err(AccountError::Invalid(
                "a responsible person is responsible for their own institution",
            ))
        }
        (Role::ResponsiblePerson | Role::DesignatedDoctor, _) | (_, None) => Ok(()),
        (_, Some(_)) => Err(AccountError::Invalid(
            "only doctors and responsible persons can be responsible for an institution",
        )),
    }
}

/// A login ID: 6 to 32 ASCII letters, digits, '-' or '_'.
pub fn valid_login_id(s: &str) -> bool {
    (6..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn reason(command: &AccountCommand) -> Result<(), AccountError> {
    match command.reason.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => Ok(()),
        _ => Err(AccountError::ReasonRequired),
    }
}

impl Aggregate for Account {
    const STREAM_TYPE: &'static str = "account";
    type Event = AccountEvent;
    type Command = AccountCommand;
    type Error = AccountError;

    fn decide(&self, command: &AccountCommand) -> Result<Vec<AccountEvent>, AccountError> {
        let actor = &command.actor;
        if actor.role == Role::System {
            // The registry itself only records lockouts and creates the first operator.
            let allowed = match &command.action {
                AccountAction::LockOut { .. } => true,
                AccountAction::Create { account, .. } => account.role == Role::Operator,
                _ => false,
            };
            if !allowed {
                return Err(AccountError::Forbidden("this is done by a person"));
            }
        }
        if let AccountAction::Create { id, account: new } = &command.action {
            if self.exists() {
                return Err(AccountError::AlreadyExists);
            }
            may_create(actor, new)?;
            valid_profile(new)?;
            return Ok(vec![
                AccountEvent::AccountCreated {
                    id: id.clone(),
                    account: (**new).clone(),
                },
                AccountEvent::PasswordIssued {},
            ]);
        }
        let profile = self.profile()?;
        // Another program's account does not exist for this actor.
        if actor.program != profile.program && actor.role != Role::System {
            return Err(AccountError::NotFound);
        }
        let own = actor.account == self.id;
        match &command.action {
            AccountAction::Create { .. } => unreachable!("handled above"),
            AccountAction::ResetPassword => {
                if !manages(actor, profile) {
                    return Err(AccountError::Forbidden("reset this account's password"));
                }
                Ok(vec![AccountEvent::PasswordIssued {}])
            }
            AccountAction::ChangePassword => {
                if !own {
                    return Err(AccountError::Forbidden("change another user's password"));
                }
                self.active()?;
                Ok(vec![AccountEvent::PasswordChanged {}])
            }
            AccountAction::LockOut { until } => {
                if actor.role != Role::System {
                    return Err(AccountError::Forbidden("lock an account out"));
                }
                Ok(vec![AccountEvent::AccountLockedOut {
                    until: until.clone(),
                }])
            }
            AccountAction::Suspend | AccountAction::Reactivate => {
                if !manages(actor, profile) {
                    return Err(AccountError::Forbidden(
                        "suspend or reactivate this account",
                    ));
                }
                reason(command)?;
                let suspend = command.action == AccountAction::Suspend;
                match (suspend, self.status) {
                    (true, AccountStatus::Active) => Ok(vec![AccountEvent::AccountSuspended {}]),
                    (false, AccountStatus::Suspended) => {
                        Ok(vec![AccountEvent::AccountReactivated {}])
                    }
                    (true, _) => Err(AccountError::Nothing("the account is already suspended")),
                    (false, _) => Err(AccountError::Nothing("the account is active")),
                }
            }
            AccountAction::RequestAffiliation { institution } => {
                if !own || profile.role != Role::DesignatedDoctor {
                    return Err(AccountError::Forbidden(
                        "apply for a secondary institution (designated doctors, for themselves)",
                    ));
                }
                self.active()?;
                if profile.primary_institution.as_ref() == Some(institution) {
                    return Err(AccountError::Invalid(
                        "this is already the doctor's primary institution",
                    ));
                }
                match self.secondary.get(institution) {
                    Some(AffiliationStatus::Pending) => {
                        Err(AccountError::Nothing("the application is already pending"))
                    }
                    Some(AffiliationStatus::Approved) => {
                        Err(AccountError::Nothing("the doctor already works there"))
                    }
                    None => Ok(vec![AccountEvent::AffiliationRequested {
                        institution: institution.clone(),
                    }]),
                }
            }
            AccountAction::DecideAffiliation {
                institution,
                approve,
            } => {
                if !is_responsible_for(actor, institution) {
                    return Err(AccountError::Forbidden(
                        "decide applications to this institution (its responsible person)",
                    ));
                }
                if self.secondary.get(institution) != Some(&AffiliationStatus::Pending) {
                    return Err(AccountError::Nothing("no pending application to decide"));
                }
                if *approve {
                    Ok(vec![AccountEvent::AffiliationApproved {
                        institution: institution.clone(),
                    }])
                } else {
                    reason(command)?;
                    Ok(vec![AccountEvent::AffiliationRejected {
                        institution: institution.clone(),
                    }])
                }
            }
            AccountAction::RevokeAffiliation { institution } => {
                if !(own || is_responsible_for(actor, institution)) {
                    return Err(AccountError::Forbidden(
                        "revoke this affiliation (the doctor or the institution's responsible person)",
                    ));
                }
                reason(command)?;
                if self.secondary.get(institution) != Some(&AffiliationStatus::Approved) {
                    return Err(AccountError::Nothing("the doctor does not work there"));
                }
                Ok(vec![AccountEvent::AffiliationRevoked {
                    institution: institution.clone(),
                }])
            }
            AccountAction::ScheduleSwitch { from, to } => {
                let municipal = matches!(
                    actor.role,
                    Role::MunicipalityAdmin | Role::MunicipalityStaff
                ) && actor
                    .jurisdiction
                    .as_ref()
                    .is_some_and(|j| in_jurisdiction(j, from));
                if !municipal {
                    return Err(AccountError::Forbidden(
                        "switch accounts of this institution (municipality of its jurisdiction)",
                    ));
                }
                // Running the switch again changes nothing more. Checked before whether the
                // account is concerned: once switched, its institution is no longer `from`.
                if self.switched_from.contains(from)
                    || self.pending_switch.as_ref().is_some_and(|(f, _)| f == from)
                {
                    return Ok(vec![]);
                }
                let concerned = match profile.role {
                    Role::DesignatedDoctor => profile.primary_institution.as_ref() == Some(from),
                    Role::ResponsiblePerson => profile.responsible_for.as_ref() == Some(from),
                    _ => false,
                };
                if !concerned {
                    return Err(AccountError::Invalid(
                        "only doctors whose primary institution it is and its non-doctor \
                         responsible persons are switched",
                    ));
                }
                Ok(vec![AccountEvent::InstitutionSwitchScheduled {
                    from: from.clone(),
                    to: to.clone(),
                }])
            }
            AccountAction::CompleteSwitch => {
                if !own {
                    return Err(AccountError::Forbidden("complete another user's switch"));
                }
                Ok(self
                    .pending_switch
                    .iter()
                    .map(|(from, to)| AccountEvent::InstitutionSwitched {
                        from: from.clone(),
                        to: to.clone(),
                    })
                    .collect())
            }
        }
    }

    fn apply(mut self, event: &AccountEvent) -> Self {
        match event {
            AccountEvent::AccountCreated { id, account } => {
                self.id = id.clone();
                self.profile = Some(account.clone());
            }
            AccountEvent::PasswordIssued {} => {
                self.must_change_password = true;
                self.locked_until = None;
            }
            AccountEvent::PasswordChanged {} => self.must_change_password = false,
            AccountEvent::AccountLockedOut { until } => self.locked_until = Some(until.clone()),
            AccountEvent::AccountSuspended {} => self.status = AccountStatus::Suspended,
            AccountEvent::AccountReactivated {} => self.status = AccountStatus::Active,
            AccountEvent::AffiliationRequested { institution } => {
                self.secondary
                    .insert(institution.clone(), AffiliationStatus::Pending);
            }
            AccountEvent::AffiliationApproved { institution } => {
                self.secondary
                    .insert(institution.clone(), AffiliationStatus::Approved);
            }
            AccountEvent::AffiliationRejected { institution }
            | AccountEvent::AffiliationRevoked { institution } => {
                self.secondary.remove(institution);
            }
            AccountEvent::InstitutionSwitchScheduled { from, to } => {
                self.pending_switch = Some((from.clone(), to.clone()))
            }
            AccountEvent::InstitutionSwitched { from, to } => {
                self.pending_switch = None;
                self.switched_from.push(from.clone());
                if let Some(p) = &mut self.profile {
                    if p.primary_institution.as_ref() == Some(from) {
                        p.primary_institution = Some(to.clone());
                    }
                    if p.responsible_for.as_ref() == Some(from) {
                        p.responsible_for = Some(to.clone());
                    }
                }
                self.secondary.remove(to);
            }
        }
        self
    }
}

impl Account {
    fn active(&self) -> Result<(), AccountError> {
        match self.status {
            AccountStatus::Active => Ok(()),
            AccountStatus::Suspended => Err(AccountError::Suspended),
        }
    }

    /// The stream id of an account: a UUID. A designated doctor's is derived from program and
    /// doctor number, so registering the same doctor twice (a re-uploaded user file) lands on
    /// the same stream and creates nothing.
    pub fn doctor_id(program: Program, doctor_number: &str) -> String {
        uuid::Uuid::new_v5(
            &ACCOUNT_NAMESPACE,
            format!("designated_doctor/{program}/{doctor_number}").as_bytes(),
        )
        .to_string()
    }

    /// The stream id of a non-doctor account: random (UUID v7).
    pub fn new_id() -> String {
        uuid::Uuid::now_v7().to_string()
    }
}

const ACCOUNT_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6e61_6e62_796f_4163_636f_756e_7449_6431);
