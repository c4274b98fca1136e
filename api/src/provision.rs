//! Real accounts for benchmarks, tests and demonstrations: builds the chain of who creates whom
//! (the registry bootstraps an operator, the operator a municipality admin, the admin doctors
//! and staff, a responsible person clerks) through the same commands as the API, logs in and
//! changes the issued password, and hands back a bearer token. Nothing here bypasses a rule.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use commands::accounts::{self as acc, CreateAccount, Created};
use domain::account::{Account, DesignationRecord};
use domain::form::{Actor, Designation};
use domain::{InstitutionCode, LocalGovernmentCode, Program, Role};
use eventstore::EventStore;
use tokio::sync::Mutex;

/// The account wanted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Who {
    pub role: Role,
    pub program: Program,
    /// Primary institution (doctors, clerks, responsible persons).
    pub institution: Option<String>,
    /// Jurisdiction (municipality users).
    pub jurisdiction: Option<String>,
    /// A doctor who is the institution's responsible person.
    pub responsible: bool,
    /// The designation kind of a doctor (default: the program's own).
    pub designation: Option<Designation>,
    /// The name shown in the registry (default: 試験 and a serial number).
    pub name: Option<String>,
}

impl Who {
    pub fn new(role: Role) -> Self {
        Who {
            role,
            program: Program::Nanbyo,
            institution: None,
            jurisdiction: None,
            responsible: false,
            designation: None,
            name: None,
        }
    }
    pub fn named(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }
    pub fn program(mut self, p: Program) -> Self {
        self.program = p;
        self
    }
    pub fn at(mut self, institution: &str) -> Self {
        self.institution = Some(institution.into());
        self
    }
    pub fn of(mut self, jurisdiction: &str) -> Self {
        self.jurisdiction = Some(jurisdiction.into());
        self
    }
    pub fn responsible(mut self) -> Self {
        self.responsible = true;
        self
    }
    pub fn designated(mut self, d: Designation) -> Self {
        self.designation = Some(d);
        self
    }
}

/// A logged-in account.
#[derive(Debug, Clone)]
pub struct Login {
    pub account_id: String,
    pub login_id: String,
    pub token: String,
    pub password: String,
}

/// Creates accounts on `store` and logs them in; caches one account per `Who`.
pub struct Provisioner {
    store: Arc<dyn EventStore>,
    cache: Mutex<HashMap<Who, Login>>,
    serial: std::sync::atomic::AtomicU64,
    /// The password every account gets in place of its issued one (default: one per account).
    password: Option<String>,
}

/// The prefecture's own 全国地方公共団体コード (pp000 + check digit).
pub fn prefecture_government(prefecture: &str) -> LocalGovernmentCode {
    let digits: Vec<u32> = format!("{prefecture}000")
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    let sum: u32 = digits
        .iter()
        .zip([6u32, 5, 4, 3, 2])
        .map(|(d, w)| d * w)
        .sum();
    let check = (11 - sum % 11) % 10;
    LocalGovernmentCode::parse(&format!("{prefecture}000{check}"))
        .expect("a prefecture's code is valid")
}

impl Provisioner {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Provisioner {
            store,
            cache: Mutex::new(HashMap::new()),
            serial: std::sync::atomic::AtomicU64::new(1),
            password: None,
        }
    }

    /// Every account this provisioner creates gets `password` (the demo registry prints it).
    pub fn with_password(mut self, password: &str) -> Self {
        self.password = Some(password.to_owned());
        self
    }

    /// A token for an account as `who` describes (the same account on later calls).
    pub async fn token(&self, who: &Who) -> Result<String> {
        Ok(self.login(who).await?.token)
    }

    pub async fn login(&self, who: &Who) -> Result<Login> {
        if let Some(l) = self.cache.lock().await.get(who) {
            return Ok(l.clone());
        }
        let login = Box::pin(self.create(who)).await?;
        self.cache.lock().await.insert(who.clone(), login.clone());
        Ok(login)
    }

    /// A fresh account (not cached) as `who` describes.
    pub async fn create(&self, who: &Who) -> Result<Login> {
        let today = commands::forms::today_in_japan();
        let n = self
            .serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let issued = match who.role {
            Role::Operator => {
                let name = who.name.as_deref().unwrap_or("運営 太郎");
                match acc::bootstrap_operator(&self.store, who.program, name).await? {
                    Created::New(i, _) => i,
                    Created::Existing { .. } => return Err(anyhow!("operator exists")),
                }
            }
            role => {
                let creator = self.creator(who).await?;
                let institution = who
                    .institution
                    .as_deref()
                    .map(InstitutionCode::parse)
                    .transpose()
                    .context("institution code")?;
                let jurisdiction = who
                    .jurisdiction
                    .as_deref()
                    .map(LocalGovernmentCode::parse)
                    .transpose()
                    .context("jurisdiction")?;
                let designation = (role == Role::DesignatedDoctor).then(|| DesignationRecord {
                    number: format!("T{}-{n}", uuid::Uuid::now_v7().simple())
                        .chars()
                        .take(20)
                        .collect(),
                    kind: who.designation.unwrap_or(match who.program {
                        Program::Nanbyo => Designation::Nanbyo,
                        Program::Shoman => Designation::Shoman,
                    }),
                    valid_from: "2024-04-01".into(),
                    valid_to: None,
                });
                let responsible_for = match role {
                    Role::ResponsiblePerson => institution.clone(),
                    Role::DesignatedDoctor if who.responsible => institution.clone(),
                    _ => None,
                };
                let request = CreateAccount {
                    role,
                    display_name: who.name.clone().unwrap_or_else(|| format!("試験 {n}")),
                    designation,
                    primary_institution: institution,
                    responsible_for,
                    jurisdiction,
                };
                match acc::create_account(&self.store, &creator, request, None, None).await? {
                    Created::New(i, _) => i,
                    Created::Existing { .. } => return Err(anyhow!("account exists")),
                }
            }
        };
        let session = acc::login(&self.store, &issued.login_id, &issued.initial_password)
            .await
            .map_err(|e| anyhow!("login: {e}"))?;
        let (account, _) = commands::load::<Account>(&self.store, &issued.account_id).await?;
        let actor = account
            .actor(&today)
            .ok_or_else(|| anyhow!("no actor for the new account"))?;
        let password = self
            .password
            .clone()
            .unwrap_or_else(|| format!("Chosen-Passw0rd-{n}"));
        acc::change_password(
            &self.store,
            &actor,
            &issued.initial_password,
            &password,
            None,
        )
        .await?;
        Ok(Login {
            account_id: issued.account_id,
            login_id: issued.login_id,
            token: session.token,
            password,
        })
    }

    /// The actor that may create `who`.
    async fn creator(&self, who: &Who) -> Result<Actor> {
        let program = who.program;
        let up = match who.role {
            Role::MunicipalityAdmin | Role::Auditor => Who::new(Role::Operator).program(program),
            Role::MunicipalityStaff => Who::new(Role::MunicipalityAdmin).program(program).of(who
                .jurisdiction
                .as_deref()
                .context("staff need a jurisdiction")?),
            Role::DesignatedDoctor | Role::ResponsiblePerson => {
                let institution = who.institution.as_deref().context("an institution")?;
                let prefecture = &institution[..2.min(institution.len())];
                Who::new(Role::MunicipalityAdmin)
                    .program(program)
                    .of(prefecture_government(prefecture).as_str())
            }
            Role::Clerk => Who::new(Role::ResponsiblePerson)
                .program(program)
                .at(who.institution.as_deref().context("an institution")?),
            Role::Operator | Role::System => return Err(anyhow!("no creator for {:?}", who.role)),
        };
        // Any account already made for that role and place creates, whatever its name.
        let known = self
            .cache
            .lock()
            .await
            .iter()
            .find(|(w, _)| {
                Who {
                    name: None,
                    ..(*w).clone()
                } == up
            })
            .map(|(_, l)| l.clone());
        let login = match known {
            Some(l) => l,
            None => Box::pin(self.login(&up)).await?,
        };
        let (account, _) = commands::load::<Account>(&self.store, &login.account_id).await?;
        account
            .actor(&commands::forms::today_in_japan())
            .ok_or_else(|| anyhow!("creator has no actor"))
    }
}
