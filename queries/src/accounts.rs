//! Accounts and 兼務先 (secondary institutions) as their managers see them: who may list which
//! accounts, and whose affiliation requests a caller sees.

use std::sync::Arc;

use commands::problem::{status, Problem};
use domain::account::AccountError;
use domain::form::Actor;
use domain::Role;
use eventstore::EventStore;
use projections::directory::{AccountEntry, AccountFilter, AffiliationEntry};
use serde::Deserialize;

use crate::{caught_up, unavailable};

/// `GET /api/accounts`: a role, the primary institution, and keyset paging.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountQuery {
    pub role: Option<Role>,
    pub institution: Option<String>,
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// One page of accounts, with the cursor of the next.
#[derive(Debug, Clone)]
pub struct AccountPage {
    pub accounts: Vec<AccountEntry>,
    pub next_after: Option<String>,
}

fn forbidden(what: &'static str) -> Problem {
    Problem::from(AccountError::Forbidden(what))
}

/// Accounts the caller manages: the operator sees its program's accounts, a municipality
/// admin those of its jurisdiction (its staff, and the doctors, responsible persons and clerks
/// of institutions in its prefecture), a responsible person those of its institution, an
/// auditor all of its program's.
pub async fn list(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    q: AccountQuery,
) -> Result<AccountPage, Problem> {
    let mut filter = AccountFilter {
        program: actor.program.as_str().into(),
        role: q.role.map(|r| r.as_str().to_owned()),
        primary_institution: q.institution.clone(),
        after: q.after,
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
        ..Default::default()
    };
    match actor.role {
        Role::Operator | Role::Auditor => {}
        Role::MunicipalityAdmin => {
            let j = actor
                .jurisdiction
                .clone()
                .ok_or_else(|| forbidden("list accounts"))?;
            match q.role {
                Some(Role::MunicipalityStaff | Role::MunicipalityAdmin) => {
                    filter.jurisdiction = Some(j.to_string())
                }
                Some(Role::DesignatedDoctor | Role::ResponsiblePerson | Role::Clerk) => {
                    filter.institution_prefecture = Some(j.prefecture().to_string())
                }
                _ => {
                    return Err(Problem::new(
                        status::UNPROCESSABLE_ENTITY,
                        "role_required",
                        "一覧するロールを指定してください。",
                        "Name the role to list (?role=…).",
                    ))
                }
            }
        }
        Role::ResponsiblePerson | Role::DesignatedDoctor if actor.responsible_for.is_some() => {
            filter.primary_institution = actor.responsible_for.as_ref().map(|c| c.to_string());
        }
        _ => return Err(forbidden("list accounts")),
    }
    caught_up(store, projections::directory::NAME, None).await?;
    let accounts = projections::directory::list(&store.sql(), &filter)
        .await
        .map_err(unavailable("account list"))?;
    let next_after = (accounts.len() as i64 == filter.limit)
        .then(|| accounts.last().map(|r| r.account_id.clone()))
        .flatten();
    Ok(AccountPage {
        accounts,
        next_after,
    })
}

/// Affiliation requests (兼務先の申請): a doctor sees its own; a responsible person those to
/// its institution (and, when it is a doctor too, its own as well).
pub async fn affiliations(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    status: Option<&str>,
) -> Result<Vec<AffiliationEntry>, Problem> {
    let (institution, account) = match (&actor.responsible_for, actor.role) {
        (Some(r), Role::ResponsiblePerson | Role::DesignatedDoctor) => (Some(r.to_string()), None),
        (None, Role::DesignatedDoctor) => (None, Some(actor.account.clone())),
        _ => {
            return Err(forbidden(
                "list affiliation requests (doctors and responsible persons)",
            ))
        }
    };
    caught_up(store, projections::directory::NAME, None).await?;
    let sql = store.sql();
    let program = actor.program.as_str();
    let mut rows = projections::directory::affiliations(
        &sql,
        program,
        institution.as_deref(),
        account.as_deref(),
        status,
    )
    .await
    .map_err(unavailable("affiliations"))?;
    if institution.is_some() && actor.role == Role::DesignatedDoctor {
        let own =
            projections::directory::affiliations(&sql, program, None, Some(&actor.account), status)
                .await
                .map_err(unavailable("affiliations"))?;
        rows.extend(own);
    }
    Ok(rows)
}
