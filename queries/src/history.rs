//! The history inquiry (履歴照会): a form's history, the diff between two of its versions, and
//! — for auditors — the history of a patient, an account or an institution; who sees which
//! entry, and how (item labels beside item ids, the 行政記載欄 hidden from doctors and clerks).
//! Read from the `history` projection once it has caught up.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use commands::forms::{read_form_as, FormView, MasterCache};
use commands::problem::{status, Problem};
use domain::form::Actor;
use domain::Role;
use eventstore::EventStore;
use projections::history::{self, Entry, Subject};
use serde_json::{json, Value};

use crate::{caught_up, unavailable};

/// The longest history one answer carries.
pub const MAX_ENTRIES: i64 = 10_000;

async fn entries(store: &Arc<dyn EventStore>, subject: &Subject) -> Result<Vec<Entry>, Problem> {
    caught_up(store, history::NAME, None).await?;
    history::of(&store.sql(), subject, 0, MAX_ENTRIES)
        .await
        .map_err(unavailable("history"))
}

/// Item labels of the form's disease and form version (the master in force).
pub async fn labels(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    view: &FormView,
) -> BTreeMap<String, String> {
    let Some(program) = view.program else {
        return BTreeMap::new();
    };
    match masters
        .disease(
            store,
            program,
            &view.disease,
            &view.form_version,
            commands::forms::Pick::JudgedWith(
                view.judged_with.as_ref().map(|m| m.master_version.as_str()),
            ),
        )
        .await
    {
        Ok(Some((form, _))) => form
            .items
            .iter()
            .map(|i| (i.id.to_string(), i.label_ja.clone()))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Whether `actor` sees entry `e`. Refused reads are the auditors' — of the record's program,
/// which is the entry's (a caller never learns from its own trail that an id it tried exists).
pub fn shown(e: &Entry, actor: &Actor) -> bool {
    e.event_type != history::READ_REFUSED || actor.role == Role::Auditor
}

/// An entry as the caller sees it: details parsed, item labels beside item ids, and the
/// 行政記載欄 hidden from doctors and clerks (as on the form itself).
pub fn present(e: &Entry, labels: &BTreeMap<String, String>, actor: &Actor) -> Value {
    let mut details: Value = serde_json::from_str(&e.details).unwrap_or(Value::Null);
    let hidden = e.event_type == "AdministrativeFieldsRecorded"
        && matches!(actor.role, Role::DesignatedDoctor | Role::Clerk);
    if hidden {
        details = json!({ "hidden": true });
    }
    if let Some(changes) = details.get_mut("changes").and_then(Value::as_array_mut) {
        for c in changes {
            let label = c
                .get("item")
                .and_then(Value::as_str)
                .and_then(|i| labels.get(i))
                .cloned();
            if let (Some(obj), Some(label)) = (c.as_object_mut(), label) {
                obj.insert("label".into(), Value::String(label));
            }
        }
    }
    json!({
        "position": e.position,
        "at": chrono::DateTime::from_timestamp_millis(e.at).map(|t| t.to_rfc3339()),
        "actor": e.actor,
        "role": e.role,
        "action": e.event_type,
        "reason": e.reason,
        "stream": format!("{}/{}", e.stream_type, e.stream_id),
        "version": e.version,
        "form_id": e.form_id,
        "institution": e.institution,
        "account_id": e.account_id,
        "details": details,
    })
}

/// Each entry's `actor_name`: the display name of the account that acted, as the account
/// directory has it (none for the system or an account the directory does not know yet).
async fn with_names(store: &Arc<dyn EventStore>, mut list: Vec<Value>) -> Vec<Value> {
    let sql = store.sql();
    let ids: BTreeSet<String> = list
        .iter()
        .filter_map(|e| e["actor"].as_str().map(str::to_owned))
        .collect();
    let mut names = BTreeMap::new();
    for id in ids {
        if let Ok(Some(a)) = projections::directory::get(&sql, &id).await {
            names.insert(id, a.display_name);
        }
    }
    for e in &mut list {
        let name = e["actor"].as_str().and_then(|a| names.get(a)).cloned();
        e["actor_name"] = json!(name);
    }
    list
}

/// The history of form `id` as `actor` may see it (a recorded read, `history`).
pub async fn form(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    actor: &Actor,
    id: &str,
    origin: Option<&str>,
) -> Result<Vec<Value>, Problem> {
    let view = read_form_as(store, actor, id, None, "history", origin).await?;
    let labels = labels(store, masters, &view).await;
    let list = entries(store, &Subject::Form(id.to_owned()))
        .await?
        .iter()
        .filter(|e| shown(e, actor))
        .map(|e| present(e, &labels, actor))
        .collect();
    Ok(with_names(store, list).await)
}

/// What changed between versions `from` and `to` of form `id`: items, the patient's data,
/// status, judgment, review result and (for who may see them) the 行政記載欄. Every check
/// first (both versions must be visible to the caller), then the recorded read: a refused
/// diff is recorded as refused (commands::audit), never as a read.
pub async fn diff(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    actor: &Actor,
    id: &str,
    (from, to): (u64, u64),
    origin: Option<&str>,
) -> Result<Vec<Value>, Problem> {
    if from == 0 || to == 0 {
        return Err(crate::invalid(
            "検索条件が正しくありません。",
            "from and to are versions, 1 or more",
        ));
    }
    let now = commands::forms::view_form_at(store, actor, id, u64::MAX, "diff", origin).await?;
    if from > now.version || to > now.version {
        return Err(Problem::new(
            status::UNPROCESSABLE_ENTITY,
            "unknown_version",
            "指定した版はこの様式にありません。",
            format!("The form has versions 1 to {}.", now.version),
        ));
    }
    let a = commands::forms::view_form_at(store, actor, id, from, "diff", origin).await?;
    let b = commands::forms::view_form_at(store, actor, id, to, "diff", origin).await?;
    read_form_as(store, actor, id, None, "diff", origin).await?;
    let labels = labels(store, masters, &now).await;
    let mut changes = vec![];
    let keys: BTreeSet<&String> = a.items.keys().chain(b.items.keys()).collect();
    for k in keys {
        let (old, new) = (a.items.get(k), b.items.get(k));
        if old != new {
            changes.push(json!({"field": format!("items.{k}"), "label": labels.get(k), "old": old, "new": new}));
        }
    }
    let keys: BTreeSet<&String> = a
        .administrative
        .keys()
        .chain(b.administrative.keys())
        .collect();
    for k in keys {
        let (old, new) = (a.administrative.get(k), b.administrative.get(k));
        if old != new {
            changes.push(json!({"field": format!("administrative.{k}"), "old": old, "new": new}));
        }
    }
    // The patient block field by field (a correction between the two versions).
    if let (Some(old), Some(new)) = (&a.patient, &b.patient) {
        for c in domain::form::patient_changes(old, new) {
            changes
                .push(json!({"field": format!("patient.{}", c.field), "old": c.old, "new": c.new}));
        }
    }
    let whole = |name: &str, old: Value, new: Value, changes: &mut Vec<Value>| {
        if old != new {
            changes.push(json!({"field": name, "old": old, "new": new}));
        }
    };
    whole("status", json!(a.status), json!(b.status), &mut changes);
    whole(
        "judgment",
        json!(a.judgment),
        json!(b.judgment),
        &mut changes,
    );
    whole("review", json!(a.review), json!(b.review), &mut changes);
    Ok(changes)
}

/// Whose history an auditor asks for.
#[derive(Debug, Clone)]
pub enum Whose {
    /// The patient of this form: all its forms and reads.
    PatientOfForm(String),
    /// What happened to an account and what it did (an account may also see its own).
    Account(String),
    Institution(String),
}

fn forbidden() -> Problem {
    Problem::new(
        status::FORBIDDEN,
        "forbidden",
        "この操作の権限がありません。",
        "Not permitted: the history of a patient, an account or an institution (auditors).",
    )
    .with_details(json!({"permission": "history inquiry (auditors)"}))
}

/// The history of a patient, an account or an institution: auditors (of the entries' own
/// program, and the program-independent ones such as institution master changes); an account
/// also its own. A refused history of an existing record is recorded after the answer, which
/// stays what it was (commands::audit).
pub async fn of(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    whose: &Whose,
    origin: Option<&str>,
) -> Result<Vec<Value>, Problem> {
    let subject = match whose {
        Whose::PatientOfForm(form) => {
            if actor.role != Role::Auditor {
                commands::audit::refused_form_read(store, actor, form, "patient_history", origin);
                return Err(forbidden());
            }
            let key =
                commands::forms::patient_key(store, actor, form, "patient_history", origin).await?;
            Subject::Patient(key)
        }
        Whose::Account(account) => {
            if actor.role != Role::Auditor && actor.account != *account {
                commands::audit::refused_account_read(
                    store,
                    actor,
                    account,
                    "account_history",
                    origin,
                );
                return Err(forbidden());
            }
            Subject::Account(account.clone())
        }
        Whose::Institution(code) => {
            if actor.role != Role::Auditor {
                commands::audit::refused_institution_read(
                    store,
                    actor,
                    code,
                    "institution_history",
                    origin,
                );
                return Err(forbidden());
            }
            Subject::Institution(code.clone())
        }
    };
    let list = entries(store, &subject)
        .await?
        .iter()
        .filter(|e| {
            e.program
                .as_deref()
                .is_none_or(|p| p == actor.program.as_str())
        })
        .filter(|e| shown(e, actor))
        .map(|e| present(e, &BTreeMap::new(), actor))
        .collect();
    Ok(with_names(store, list).await)
}
