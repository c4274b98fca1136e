//! The form entry: a form rendered from its disease's master (sections, item types with
//! units, ranges and choices, items asked only when their condition holds), saved item by
//! item with the same edit events as `POST /api/forms/{id}/items`, with the machine judgment
//! beside it — live while the doctor types (a preview that records nothing) when scripts run,
//! after each save when they do not. A change someone else saved first is a conflict that
//! shows what changed, never a silent overwrite.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use commands::forms::{FormView, May, Permitted};
use commands::problem::Problem;
use domain::disease::DiseaseForm;
use domain::form::FormAction;
use domain::judgment::{
    Criterion, ItemDef, ItemError, ItemKind, Judgment, Outcome, Requirement, Section,
};
use serde::Deserialize;
use serde_json::Value;

use super::auth::FieldError;
use super::forms::{element_id, master_of, outcome_key, status_key};
use super::{problem_page, render, render_status, Layout};
use crate::i18n::Tr;
use crate::session::Web;
use crate::WebState;

/// One choice of an enumerated item, as shown.
pub struct ChoiceView {
    pub code: String,
    pub label: String,
    pub checked: bool,
}

/// One item, as the entry shows it.
pub struct ItemView {
    pub id: String,
    /// The element id (`item-<id>`) and the form field name (`item.<id>`).
    pub el: String,
    pub name: String,
    pub label: String,
    /// integer, decimal, date, year_month, enum, boolean, text, multi_choice.
    pub kind: &'static str,
    pub value: String,
    pub choices: Vec<ChoiceView>,
    pub unit: String,
    pub required: bool,
    pub conditional: bool,
    pub shown: bool,
    /// Filled in by the machine (the severity auto-fill).
    pub auto: bool,
    pub error: Option<String>,
    /// A valid value outside the item's usual range: to confirm, not an error.
    pub warning: Option<String>,
    /// What the item takes (a range, the longest text).
    pub help: String,
    pub max_chars: usize,
}

impl ItemView {
    pub fn is_true(&self) -> bool {
        self.value == "true"
    }
    pub fn is_false(&self) -> bool {
        self.value == "false"
    }
    /// Short choice lists are radio buttons, long ones a select.
    pub fn as_radios(&self) -> bool {
        self.choices.len() <= 6
    }
}

pub struct SectionView {
    pub id: String,
    pub key: &'static str,
    pub items: Vec<ItemView>,
}

/// The judgment panel.
pub struct JudgmentView {
    pub outcome_key: String,
    pub outcome_class: String,
    pub diagnosis_key: String,
    pub severity_key: String,
    pub missing: Vec<(String, String)>,
    pub problems: Vec<(String, String, String)>,
    pub filled: Vec<(String, String, String)>,
    pub transitional: Option<String>,
    pub judged_on: String,
    /// The ids of the items the form asks for now (app.js shows and hides the others).
    pub shown_json: String,
}

fn section_key(s: Section) -> &'static str {
    match s {
        Section::Basic => "section.basic",
        Section::Diagnosis => "section.diagnosis",
        Section::Severity => "section.severity",
        Section::Findings => "section.findings",
        Section::Treatment => "section.treatment",
        Section::Consent => "section.consent",
    }
}

fn section_id(s: Section) -> &'static str {
    match s {
        Section::Basic => "basic",
        Section::Diagnosis => "diagnosis",
        Section::Severity => "severity",
        Section::Findings => "findings",
        Section::Treatment => "treatment",
        Section::Consent => "consent",
    }
}

/// The order of the sections on the 2024-04 paper form (基本情報, 診断基準, 症状の概要, 治療その他,
/// 重症度分類, then consent), whatever order the master lists its items in.
fn section_rank(s: Section) -> u8 {
    match s {
        Section::Basic => 0,
        Section::Diagnosis => 1,
        Section::Findings => 2,
        Section::Treatment => 3,
        Section::Severity => 4,
        Section::Consent => 5,
    }
}

fn criterion_key(c: Criterion) -> String {
    format!(
        "criterion.{}",
        match c {
            Criterion::Met => "met",
            Criterion::NotMet => "not_met",
            Criterion::Unknown => "unknown",
            Criterion::NotJudged => "not_judged",
        }
    )
}

/// The text of a stored value in its field.
fn value_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The sections and items of `master` with `values`, the judgment's automatic values marked and
/// `errors` at their items.
pub fn sections(
    t: Tr,
    master: &DiseaseForm,
    values: &BTreeMap<String, Value>,
    judgment: Option<&Judgment>,
    errors: &[ItemError],
) -> Vec<SectionView> {
    let mut out: Vec<SectionView> = vec![];
    let mut defs: Vec<&ItemDef> = master.items.iter().collect();
    // Stable: items keep the master's order within their section.
    defs.sort_by_key(|d| section_rank(d.section));
    for def in defs {
        let view = item_view(t, master, def, values, judgment, errors);
        match out.iter_mut().find(|s| s.id == section_id(def.section)) {
            Some(s) => s.items.push(view),
            None => out.push(SectionView {
                id: section_id(def.section).to_owned(),
                key: section_key(def.section),
                items: vec![view],
            }),
        }
    }
    out
}

fn item_view(
    t: Tr,
    master: &DiseaseForm,
    def: &ItemDef,
    values: &BTreeMap<String, Value>,
    judgment: Option<&Judgment>,
    errors: &[ItemError],
) -> ItemView {
    let value = values.get(&def.id);
    let codes_of = |v: Option<&Value>| -> BTreeSet<String> {
        match v {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(s)) => BTreeSet::from([s.clone()]),
            _ => BTreeSet::new(),
        }
    };
    let chosen = codes_of(value);
    let (kind, choices, help, max_chars) = match &def.kind {
        ItemKind::Integer { min, max } => ("integer", vec![], range_help(t, min, max), 0),
        ItemKind::Decimal { min, max } => ("decimal", vec![], range_help(t, min, max), 0),
        ItemKind::Date => ("date", vec![], String::new(), 0),
        ItemKind::YearMonth => ("year_month", vec![], String::new(), 0),
        ItemKind::Boolean => ("boolean", vec![], String::new(), 0),
        ItemKind::Text { max_chars } => (
            "text",
            vec![],
            format!("{}{}", max_chars, t.s("entry.chars_at_most")),
            *max_chars,
        ),
        ItemKind::Enum { options } | ItemKind::MultiChoice { options } => (
            if matches!(def.kind, ItemKind::Enum { .. }) {
                "enum"
            } else {
                "multi_choice"
            },
            options
                .iter()
                .map(|o| ChoiceView {
                    code: o.code.clone(),
                    label: o.label_ja.clone(),
                    checked: chosen.contains(&o.code),
                })
                .collect(),
            String::new(),
            0,
        ),
    };
    ItemView {
        el: element_id(&def.id),
        name: format!("item.{}", def.id),
        id: def.id.clone(),
        label: def.label_ja.clone(),
        kind,
        value: value_text(value),
        choices,
        unit: def.unit.clone().unwrap_or_default(),
        required: matches!(def.required, Requirement::Required),
        conditional: matches!(def.required, Requirement::RequiredWhen { .. }),
        shown: master.asks_for(def, values),
        auto: judgment.is_some_and(|j| j.filled.contains_key(&def.id)),
        // A required item not yet entered is listed in the judgment panel, not flagged here.
        error: errors
            .iter()
            .chain(judgment.map(|j| j.errors.as_slice()).unwrap_or_default())
            .filter(|e| e.code != "required")
            .find(|e| e.item == def.id)
            .map(|e| t.pick(&e.message_ja, &e.message_en).to_owned()),
        warning: judgment
            .into_iter()
            .flat_map(|j| j.warnings.iter())
            .find(|w| w.item == def.id)
            .map(|w| t.pick(&w.message_ja, &w.message_en).to_owned()),
        help,
        max_chars,
    }
}

fn range_help<T: std::fmt::Display>(t: Tr, min: &Option<T>, max: &Option<T>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("{lo}〜{hi}"),
        (Some(lo), None) => format!("{lo}{}", t.s("entry.or_more")),
        (None, Some(hi)) => format!("{hi}{}", t.s("entry.or_less")),
        (None, None) => String::new(),
    }
}

/// The judgment panel of `judgment` (none yet: an empty panel).
pub fn judgment_view(
    t: Tr,
    master: &DiseaseForm,
    values: &BTreeMap<String, Value>,
    judgment: Option<&Judgment>,
) -> JudgmentView {
    let label = |id: &str| {
        master
            .item(id)
            .map(|d| d.label_ja.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    let shown: Vec<&str> = master
        .items
        .iter()
        .filter(|d| master.asks_for(d, values))
        .map(|d| d.id.as_str())
        .collect();
    let shown_json = serde_json::to_string(&shown).unwrap_or_else(|_| "[]".into());
    let Some(j) = judgment else {
        return JudgmentView {
            outcome_key: outcome_key(None),
            outcome_class: "undeterminable".into(),
            diagnosis_key: criterion_key(Criterion::Unknown),
            severity_key: criterion_key(Criterion::Unknown),
            missing: vec![],
            problems: vec![],
            filled: vec![],
            transitional: None,
            judged_on: String::new(),
            shown_json,
        };
    };
    let (outcome, missing) = match &j.outcome {
        Outcome::Meets => ("meets", vec![]),
        Outcome::DoesNotMeet => ("does_not_meet", vec![]),
        Outcome::Undeterminable { missing } => ("undeterminable", missing.clone()),
        Outcome::Municipality => ("municipality", vec![]),
    };
    JudgmentView {
        outcome_key: outcome_key(Some(outcome)),
        outcome_class: outcome.to_owned(),
        diagnosis_key: criterion_key(j.diagnosis),
        severity_key: criterion_key(j.severity),
        missing: missing.iter().map(|m| (element_id(m), label(m))).collect(),
        problems: j
            .errors
            .iter()
            .map(|e| {
                (
                    element_id(&e.item),
                    label(&e.item),
                    t.pick(&e.message_ja, &e.message_en).to_owned(),
                )
            })
            .collect(),
        filled: j
            .filled
            .iter()
            .map(|(id, v)| (element_id(id), label(id), display_value(master, id, v)))
            .collect(),
        transitional: j.transitional.clone(),
        judged_on: j.judged_on.clone().unwrap_or_default(),
        shown_json,
    }
}

/// A stored value as a reader sees it: a choice's label, はい / いいえ, or the value.
pub fn display_value(master: &DiseaseForm, id: &str, v: &Value) -> String {
    let def = master.item(id);
    match (def.map(|d| &d.kind), v) {
        (Some(ItemKind::Enum { options }), Value::String(code)) => options
            .iter()
            .find(|o| &o.code == code)
            .map(|o| o.label_ja.clone())
            .unwrap_or_else(|| code.clone()),
        (Some(ItemKind::MultiChoice { options }), Value::Array(codes)) => codes
            .iter()
            .filter_map(|c| c.as_str())
            .map(|c| {
                options
                    .iter()
                    .find(|o| o.code == c)
                    .map(|o| o.label_ja.clone())
                    .unwrap_or_else(|| c.to_owned())
            })
            .collect::<Vec<_>>()
            .join("、"),
        (_, Value::Bool(true)) => "はい".into(),
        (_, Value::Bool(false)) => "いいえ".into(),
        (_, v) => value_text(Some(v)),
    }
}

/// The entered items of a posted form: for every item the page showed (`present.<id>`), its
/// value parsed by the item's type (empty is none; what does not parse is passed on as text,
/// for the domain to refuse at the item with its own message).
pub fn posted_items(master: &DiseaseForm, pairs: &[(String, String)]) -> BTreeMap<String, Value> {
    let mut present = BTreeSet::new();
    let mut values: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in pairs {
        if let Some(id) = k.strip_prefix("present.") {
            present.insert(id.to_owned());
        } else if let Some(id) = k.strip_prefix("item.") {
            values.entry(id).or_default().push(v.as_str());
        }
    }
    let mut out = BTreeMap::new();
    for def in &master.items {
        if !present.contains(&def.id) && !values.contains_key(def.id.as_str()) {
            continue;
        }
        let given: Vec<&str> = values
            .get(def.id.as_str())
            .map(|v| {
                v.iter()
                    .map(|s| s.trim_end())
                    .filter(|s| !s.trim().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let one = given.first().map(|s| s.trim());
        let value = match (&def.kind, one) {
            (ItemKind::MultiChoice { .. }, _) if given.is_empty() => Value::Null,
            (ItemKind::MultiChoice { .. }, _) => Value::Array(
                given
                    .iter()
                    .map(|s| Value::String(s.trim().into()))
                    .collect(),
            ),
            (_, None) => Value::Null,
            (ItemKind::Integer { .. }, Some(s)) => {
                let n = domain::text::normalize_code(s);
                n.parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::String(s.into()))
            }
            (ItemKind::Decimal { .. }, Some(s)) => {
                let n = domain::text::normalize_code(s);
                n.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(s.into()))
            }
            (ItemKind::Boolean, Some("true")) => Value::Bool(true),
            (ItemKind::Boolean, Some("false")) => Value::Bool(false),
            (ItemKind::Text { .. }, Some(_)) => Value::String(
                given
                    .first()
                    .map(|s| s.replace("\r\n", "\n"))
                    .unwrap_or_default(),
            ),
            (_, Some(s)) => Value::String(s.into()),
        };
        out.insert(def.id.clone(), value);
    }
    out
}

#[derive(Template)]
#[template(path = "form_entry.html")]
pub struct EntryPage {
    pub l: Layout,
    pub id: String,
    pub version: u64,
    pub disease: String,
    pub status: String,
    pub status_key: String,
    pub application_key: String,
    pub purpose_key: String,
    pub institution: String,
    pub patient_name: String,
    pub patient_kana: String,
    pub patient_birth: String,
    pub access_key: Option<String>,
    pub sections: Vec<SectionView>,
    pub judgment: JudgmentView,
    pub may: Permitted,
    pub errors: Vec<FieldError>,
    pub notice: Option<String>,
    pub conflict: Vec<(String, String, String)>,
    pub reason: String,
    pub carried_over: Vec<String>,
    pub paper: bool,
}

impl EntryPage {
    pub fn editable(&self) -> bool {
        self.may.edit.allowed
    }
    pub fn why_not<'a>(&self, m: &'a May) -> &'a str {
        m.why_not
            .as_ref()
            .map(|(ja, en)| self.l.t.pick(ja, en))
            .unwrap_or("")
    }
}

/// The fragments an htmx save or preview answers with: each swapped into its place by id.
#[derive(Template)]
#[template(path = "form_entry_update.html")]
pub struct EntryUpdate {
    pub l: Layout,
    pub version: u64,
    pub sections: Vec<SectionView>,
    pub judgment: JudgmentView,
    pub status_line: String,
    pub conflict: Vec<(String, String, String)>,
    pub update_version: bool,
}

#[derive(Deserialize, Default)]
pub struct EntryQuery {
    created: Option<String>,
    saved: Option<String>,
    submitted: Option<String>,
    unchanged: Option<String>,
}

/// Everything the entry page shows of form `id`, read (and recorded as read) now.
async fn load_page(
    state: &WebState,
    web: &Web,
    id: &str,
    origin: Option<&str>,
) -> Result<(FormView, DiseaseForm, Permitted), Problem> {
    let view = commands::forms::read_form(&state.store, &web.actor, id, None, None, origin).await?;
    let (master, _) = master_of(state, &view).await.ok_or_else(|| {
        Problem::from(commands::CommandError::Rejected(
            domain::form::FormError::UnknownDisease,
        ))
    })?;
    let may =
        commands::forms::permitted(&state.store, &state.masters, &web.actor, id, None).await?;
    Ok((view, master, may))
}

#[allow(clippy::too_many_arguments)]
fn page(
    state_t: Tr,
    web: &Web,
    view: &FormView,
    master: &DiseaseForm,
    may: Permitted,
    values: &BTreeMap<String, Value>,
    errors: Vec<FieldError>,
    item_errors: &[ItemError],
    notice: Option<String>,
    conflict: Vec<(String, String, String)>,
    reason: String,
) -> EntryPage {
    let t = state_t;
    let patient = view.patient.as_ref();
    EntryPage {
        l: Layout::titled(web, format!("{} {}", master.code, master.name_ja)),
        id: view.id.clone(),
        version: view.version,
        disease: format!("{} {}", master.code, master.name_ja),
        status: view
            .status
            .map(|s| {
                serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .unwrap_or_default(),
        status_key: status_key(
            &view
                .status
                .and_then(|s| serde_json::to_value(s).ok())
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        ),
        application_key: format!(
            "application.{}",
            view.application
                .and_then(|a| serde_json::to_value(a).ok())
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "new".into())
        ),
        purpose_key: format!(
            "purpose.{}",
            view.purpose
                .and_then(|a| serde_json::to_value(a).ok())
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "subsidy".into())
        ),
        institution: view.institution.clone().unwrap_or_default(),
        patient_name: patient.map(|p| p.name_kanji.clone()).unwrap_or_default(),
        patient_kana: patient.map(|p| p.name_kana.clone()).unwrap_or_default(),
        patient_birth: patient.map(|p| p.birth_date.clone()).unwrap_or_default(),
        access_key: view.access_key.clone(),
        sections: sections(t, master, values, view.judgment.as_ref(), item_errors),
        judgment: judgment_view(t, master, values, view.judgment.as_ref()),
        may,
        errors,
        notice,
        conflict,
        reason,
        carried_over: view
            .carried_over
            .as_ref()
            .map(|c| c.dropped_items.clone())
            .unwrap_or_default(),
        paper: view.paper.is_some(),
    }
}

pub async fn entry(
    State(state): State<WebState>,
    web: Web,
    crate::session::Origin(origin): crate::session::Origin,
    Path(id): Path<String>,
    Query(q): Query<EntryQuery>,
) -> Response {
    let t = web.t;
    let (view, master, may) = match load_page(&state, &web, &id, origin.as_deref()).await {
        Ok(x) => x,
        Err(p) => return problem_page(t, Some(&web), &p),
    };
    let notice = [
        (q.created.is_some(), "entry.created"),
        (q.saved.is_some(), "entry.saved"),
        (q.submitted.is_some(), "entry.submitted"),
        (q.unchanged.is_some(), "entry.unchanged"),
    ]
    .into_iter()
    .find(|(on, _)| *on)
    .map(|(_, k)| t.s(k).to_owned());
    let values = view.items.clone();
    render(&page(
        t,
        &web,
        &view,
        &master,
        may,
        &values,
        vec![],
        &[],
        notice,
        vec![],
        String::new(),
    ))
}

/// What changed between the version the user edited and the one stored now: (label, then,
/// now) for every item that differs.
async fn what_changed(
    state: &WebState,
    web: &Web,
    id: &str,
    master: &DiseaseForm,
    from: u64,
    origin: Option<&str>,
) -> Vec<(String, String, String)> {
    let (Ok(then), Ok(now)) = (
        commands::forms::view_form_at(&state.store, &web.actor, id, from, "conflict", origin).await,
        commands::forms::view_form_at(&state.store, &web.actor, id, u64::MAX, "conflict", origin)
            .await,
    ) else {
        return vec![];
    };
    let keys: BTreeSet<&String> = then.items.keys().chain(now.items.keys()).collect();
    keys.into_iter()
        .filter(|k| then.items.get(*k) != now.items.get(*k))
        .map(|k| {
            let show =
                |v: Option<&Value>| v.map(|v| display_value(master, k, v)).unwrap_or_default();
            (
                master
                    .item(k)
                    .map(|d| d.label_ja.clone())
                    .unwrap_or_else(|| k.clone()),
                show(then.items.get(k)),
                show(now.items.get(k)),
            )
        })
        .collect()
}

fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some()
}

/// `POST /forms/{id}/items`: saves what the page holds (the domain records only what
/// changed). With htmx the page stays and its judgment, errors and version are updated;
/// without, the page is shown again.
pub async fn items(
    State(state): State<WebState>,
    web: Web,
    headers: HeaderMap,
    crate::session::Origin(origin): crate::session::Origin,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let t = web.t;
    let htmx = is_htmx(&headers);
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let expected = field("version").parse::<u64>().ok();
    let reason = Some(field("reason")).filter(|r| !r.is_empty());
    // The master of the form's own disease, from its current state (no read is recorded: the
    // page already was).
    let current = match commands::forms::view_form_at(
        &state.store,
        &web.actor,
        &id,
        u64::MAX,
        "edit",
        origin.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(e) => return problem_page(t, Some(&web), &Problem::from(e)),
    };
    let Some((master, _)) = master_of(&state, &current).await else {
        return super::not_found(t);
    };
    let items = posted_items(&master, &pairs);
    let result = commands::forms::form_command(
        &state.store,
        &state.masters,
        &id,
        web.actor.clone(),
        reason.clone(),
        |m| FormAction::Edit {
            master: m,
            items: items.clone(),
        },
        expected,
        None,
    )
    .await;
    match result {
        Ok(_) | Err(commands::CommandError::Rejected(domain::form::FormError::Unchanged)) => {
            let unchanged = result.is_err();
            if !htmx {
                let q = if unchanged { "unchanged=1" } else { "saved=1" };
                return Redirect::to(&format!("/forms/{id}?{q}")).into_response();
            }
            let now = match commands::forms::view_form_at(
                &state.store,
                &web.actor,
                &id,
                u64::MAX,
                "edit",
                origin.as_deref(),
            )
            .await
            {
                Ok(v) => v,
                Err(e) => return problem_page(t, Some(&web), &Problem::from(e)),
            };
            let line = if unchanged {
                "entry.unchanged"
            } else {
                "entry.saved_at"
            };
            update(
                t,
                &web,
                &master,
                &now.items,
                now.judgment.as_ref(),
                &[],
                now.version,
                true,
                format!(
                    "{} {}",
                    t.s(line),
                    super::forms::jst_ms(chrono::Utc::now().timestamp_millis())
                ),
                vec![],
            )
        }
        Err(e) => {
            let p = Problem::from(e);
            if p.code == "version_conflict" {
                let changed = what_changed(
                    &state,
                    &web,
                    &id,
                    &master,
                    expected.unwrap_or(0),
                    origin.as_deref(),
                )
                .await;
                if htmx {
                    return update(
                        t,
                        &web,
                        &master,
                        &items,
                        current.judgment.as_ref(),
                        &[],
                        current.version,
                        false,
                        t.s("entry.conflict_line").to_owned(),
                        changed,
                    );
                }
                let may = match commands::forms::permitted(
                    &state.store,
                    &state.masters,
                    &web.actor,
                    &id,
                    None,
                )
                .await
                {
                    Ok(m) => m,
                    Err(e) => return problem_page(t, Some(&web), &Problem::from(e)),
                };
                let values = current.items.clone();
                return render_status(
                    StatusCode::CONFLICT,
                    &page(
                        t,
                        &web,
                        &current,
                        &master,
                        may,
                        &values,
                        vec![],
                        &[],
                        None,
                        changed,
                        reason.unwrap_or_default(),
                    ),
                );
            }
            if p.status == 422 || p.status == 403 {
                let item_errors = p.item_errors();
                let errors = super::forms::field_errors(t, &p);
                if htmx {
                    let mut entered = current.items.clone();
                    entered.extend(items.clone());
                    return update(
                        t,
                        &web,
                        &master,
                        &entered,
                        current.judgment.as_ref(),
                        &item_errors,
                        current.version,
                        false,
                        t.s("entry.not_saved").to_owned(),
                        vec![],
                    );
                }
                let may = match commands::forms::permitted(
                    &state.store,
                    &state.masters,
                    &web.actor,
                    &id,
                    None,
                )
                .await
                {
                    Ok(m) => m,
                    Err(e) => return problem_page(t, Some(&web), &Problem::from(e)),
                };
                let mut entered = current.items.clone();
                entered.extend(items.clone());
                // A refusal keeps its status: 403 for who may not edit, 422 for what is wrong.
                let status =
                    StatusCode::from_u16(p.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
                return render_status(
                    status,
                    &page(
                        t,
                        &web,
                        &current,
                        &master,
                        may,
                        &entered,
                        errors,
                        &item_errors,
                        None,
                        vec![],
                        reason.unwrap_or_default(),
                    ),
                );
            }
            problem_page(t, Some(&web), &p)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn update(
    t: Tr,
    web: &Web,
    master: &DiseaseForm,
    values: &BTreeMap<String, Value>,
    judgment: Option<&Judgment>,
    item_errors: &[ItemError],
    version: u64,
    update_version: bool,
    status_line: String,
    conflict: Vec<(String, String, String)>,
) -> Response {
    render(&EntryUpdate {
        l: Layout::of(web, "entry.title"),
        version,
        sections: sections(t, master, values, judgment, item_errors),
        judgment: judgment_view(t, master, values, judgment),
        status_line,
        conflict,
        update_version,
    })
}

/// `POST /forms/{id}/preview` (htmx, as the doctor types): the judgment the page's values
/// would get, and the values that would be refused; nothing is recorded.
pub async fn preview(
    State(state): State<WebState>,
    web: Web,
    crate::session::Origin(origin): crate::session::Origin,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let t = web.t;
    let current = match commands::forms::view_form_at(
        &state.store,
        &web.actor,
        &id,
        u64::MAX,
        "preview",
        origin.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(e) => return problem_page(t, Some(&web), &Problem::from(e)),
    };
    let Some((master, _)) = master_of(&state, &current).await else {
        return super::not_found(t);
    };
    let items = posted_items(&master, &pairs);
    match commands::forms::preview(&state.store, &state.masters, &web.actor, &id, &items).await {
        Ok((judgment, refused)) => {
            let mut entered = current.items.clone();
            for (k, v) in &items {
                if v.is_null() {
                    entered.remove(k);
                } else {
                    entered.insert(k.clone(), v.clone());
                }
            }
            // A preview can answer after the save of the same values (it waits for the
            // typing to pause, the save for the field to be left): it must not call saved
            // values unsaved.
            let status = if entered == current.items {
                "entry.saved"
            } else {
                "entry.previewed"
            };
            update(
                t,
                &web,
                &master,
                &entered,
                Some(&judgment),
                &refused,
                current.version,
                false,
                t.s(status).to_owned(),
                vec![],
            )
        }
        Err(e) => problem_page(t, Some(&web), &Problem::from(e)),
    }
}

/// `POST /forms/{id}/submit`: the designated doctor submits; the アクセスキー is issued.
pub async fn submit(
    State(state): State<WebState>,
    web: Web,
    crate::session::Origin(origin): crate::session::Origin,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let t = web.t;
    let expected = pairs
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse::<u64>().ok());
    let result = commands::forms::form_command(
        &state.store,
        &state.masters,
        &id,
        web.actor.clone(),
        None,
        |_| FormAction::Submit {
            access_key: commands::forms::new_access_key(),
        },
        expected,
        None,
    )
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/forms/{id}?submitted=1")).into_response(),
        Err(e) => {
            let p = Problem::from(e);
            if p.status == 404 {
                return super::not_found(t);
            }
            match load_page(&state, &web, &id, origin.as_deref()).await {
                Ok((view, master, may)) => {
                    let values = view.items.clone();
                    let conflict = if p.code == "version_conflict" {
                        what_changed(
                            &state,
                            &web,
                            &id,
                            &master,
                            expected.unwrap_or(0),
                            origin.as_deref(),
                        )
                        .await
                    } else {
                        vec![]
                    };
                    render_status(
                        StatusCode::from_u16(p.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
                        &page(
                            t,
                            &web,
                            &view,
                            &master,
                            may,
                            &values,
                            vec![FieldError::new("", t.pick(&p.ja, &p.en))],
                            &[],
                            None,
                            conflict,
                            String::new(),
                        ),
                    )
                }
                Err(p) => problem_page(t, Some(&web), &p),
            }
        }
    }
}
