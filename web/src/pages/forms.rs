//! The forms of a doctor or clerk: the worklist of their institutions, a new form (with
//! 前回値踏襲), the form entry rendered from its disease's master with the machine judgment
//! live, submission and the アクセスキー, the print of the form with its key. Every call is the
//! JSON API's own (`commands::forms`, `queries::forms`).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use commands::forms::{CreateForm, FormView};
use commands::problem::Problem;
use domain::disease::DiseaseForm;
use domain::form::{Application, Patient, Sex};
use domain::judgment::Purpose;
use domain::{InstitutionCode, LocalGovernmentCode};
use queries::forms::SearchRequest;
use serde::Deserialize;

use super::auth::FieldError;
use super::{problem_page, render, render_status, url_encode, Layout};
use crate::i18n::Tr;
use crate::session::Web;
use crate::WebState;

pub use super::entry::{entry, items, preview, submit};

/// `YYYY-MM-DD HH:MM`, Japan time, of Unix milliseconds.
pub fn jst_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).expect("JST"))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// The catalogue key of a status (`status.draft` …).
pub fn status_key(status: &str) -> String {
    format!("status.{status}")
}

/// The catalogue key of a judgment outcome.
pub fn outcome_key(outcome: Option<&str>) -> String {
    format!("outcome.{}", outcome.unwrap_or("none"))
}

/// The program's diseases in force, code and name, in the catalogue's order (告示番号; for 小慢
/// 疾患群, then number), as the filter lists them.
async fn disease_names(state: &WebState, web: &Web) -> Vec<(String, String)> {
    queries::masters::diseases(&state.store, &state.masters, web.actor.program, None, 5000)
        .await
        .map(|list| list.into_iter().map(|d| (d.code, d.name_ja)).collect())
        .unwrap_or_default()
}

/// What a refusal of the entered data says, field by field: the items (or patient fields) it
/// names, each at its element (`patient.name_kana` → `patient_name_kana`), or the message alone.
pub fn field_errors(t: Tr, p: &Problem) -> Vec<FieldError> {
    let items = p.item_errors();
    if items.is_empty() {
        vec![FieldError::new("", t.pick(&p.ja, &p.en))]
    } else {
        items
            .iter()
            .map(|e| FieldError::new(&element_id(&e.item), t.pick(&e.message_ja, &e.message_en)))
            .collect()
    }
}

/// The element id of an item or a patient field.
pub fn element_id(item: &str) -> String {
    if let Some(field) = item.strip_prefix("patient.") {
        format!("patient_{field}")
    } else {
        format!("item-{item}")
    }
}

/// A form field left empty is no value.
fn given(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------
// The worklist.

pub struct ListRow {
    pub id: String,
    pub status: String,
    pub status_key: String,
    pub disease: String,
    pub kana: String,
    pub birth_date: String,
    pub outcome_key: String,
    pub updated: String,
    pub institution: String,
    pub application_key: String,
}

pub struct Count {
    pub status: &'static str,
    pub key: String,
    pub count: i64,
    pub current: bool,
    pub href: String,
}

#[derive(Template)]
#[template(path = "forms_list.html")]
struct ListPage {
    l: Layout,
    rows: Vec<ListRow>,
    counts: Vec<Count>,
    total: i64,
    errors: Vec<FieldError>,
    diseases: Vec<(String, String)>,
    q: ListQuery,
    next_href: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    pub status: Option<String>,
    pub disease: Option<String>,
    pub kana: Option<String>,
    pub birth_date: Option<String>,
    pub page_token: Option<String>,
}

impl ListQuery {
    fn value(o: &Option<String>) -> String {
        o.clone().unwrap_or_default()
    }
    pub fn kana_value(&self) -> String {
        Self::value(&self.kana)
    }
    pub fn birth_value(&self) -> String {
        Self::value(&self.birth_date)
    }
    pub fn disease_is(&self, code: &str) -> bool {
        self.disease.as_deref() == Some(code)
    }
    pub fn status_is(&self, s: &str) -> bool {
        self.status.as_deref().unwrap_or("") == s
    }
    /// This search's query string with `status` replaced (the count links).
    fn with_status(&self, status: Option<&str>) -> String {
        let mut parts = vec![];
        for (k, v) in [
            ("status", status.map(str::to_owned)),
            ("disease", self.disease.clone()),
            ("kana", self.kana.clone()),
            ("birth_date", self.birth_date.clone()),
        ] {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", url_encode(&v)));
            }
        }
        if parts.is_empty() {
            "/forms".into()
        } else {
            format!("/forms?{}", parts.join("&"))
        }
    }
}

pub const STATUSES: [&str; 5] = ["draft", "submitted", "received", "decided", "withdrawn"];

pub async fn list(State(state): State<WebState>, web: Web, Query(q): Query<ListQuery>) -> Response {
    let t = web.t;
    let q = ListQuery {
        status: given(q.status),
        disease: given(q.disease),
        kana: given(q.kana),
        birth_date: given(q.birth_date),
        page_token: given(q.page_token),
    };
    let request = SearchRequest {
        status: q.status.clone(),
        disease: q.disease.clone(),
        kana: q.kana.clone(),
        birth_date: q.birth_date.clone(),
        page_token: q.page_token.clone(),
        limit: Some(50),
        ..SearchRequest::default()
    };
    let names = disease_names(&state, &web).await;
    let (page, counts) = match futures::try_join!(
        queries::forms::search(&state.store, &web.actor, request.clone()),
        queries::forms::counts(&state.store, &web.actor, &request)
    ) {
        Ok(found) => found,
        Err(p) if p.status == 400 => {
            return render_status(
                StatusCode::BAD_REQUEST,
                &ListPage {
                    l: Layout::of(&web, "forms.title"),
                    rows: vec![],
                    counts: vec![],
                    total: 0,
                    errors: vec![FieldError::new("", t.pick(&p.ja, &p.en))],
                    diseases: names.clone(),
                    q,
                    next_href: None,
                },
            )
        }
        Err(p) => return problem_page(t, Some(&web), &p),
    };
    let rows = page
        .forms
        .iter()
        .map(|r| ListRow {
            id: r.form_id.clone(),
            status: r.status.clone(),
            status_key: status_key(&r.status),
            disease: names
                .iter()
                .find(|(code, _)| *code == r.disease)
                .map(|(_, n)| format!("{} {n}", r.disease))
                .unwrap_or_else(|| r.disease.clone()),
            kana: r.kana.clone(),
            birth_date: r.birth_date.clone(),
            outcome_key: outcome_key(r.outcome.as_deref()),
            updated: jst_ms(r.updated_at),
            institution: r.institution.clone(),
            application_key: format!("application.{}", r.application.as_deref().unwrap_or("new")),
        })
        .collect();
    let total = counts.values().sum();
    let counts = STATUSES
        .iter()
        .map(|s| Count {
            status: s,
            key: status_key(s),
            count: counts.get(*s).copied().unwrap_or(0),
            current: q.status.as_deref() == Some(s),
            href: q.with_status(Some(s)),
        })
        .collect();
    let next_href = page.next_page_token.map(|token| {
        let base = q.with_status(q.status.as_deref());
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}page_token={}", url_encode(&token))
    });
    render(&ListPage {
        l: Layout::of(&web, "forms.title"),
        rows,
        counts,
        total,
        errors: vec![],
        diseases: names,
        q,
        next_href,
    })
}

// ---------------------------------------------------------------------------------------
// A new form.

pub struct DiseaseChoice {
    pub code: String,
    pub name: String,
    pub group: String,
    pub checked: bool,
}

/// What the new-form page was filled with (kept when it is shown again with errors).
#[derive(Deserialize, Default, Clone)]
pub struct NewFormFields {
    #[serde(default)]
    pub disease: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub application: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub institution: String,
    #[serde(default)]
    pub jurisdiction: String,
    #[serde(default)]
    pub patient_name_kanji: String,
    #[serde(default)]
    pub patient_name_kana: String,
    #[serde(default)]
    pub patient_birth_date: String,
    #[serde(default)]
    pub patient_sex: String,
    #[serde(default)]
    pub patient_address: String,
    #[serde(default)]
    pub patient_municipality: String,
    #[serde(default)]
    pub patient_insurer_number: String,
    #[serde(default)]
    pub patient_insured_symbol_number: String,
    #[serde(default)]
    pub research_consent: String,
    #[serde(default)]
    pub carry_over: String,
}

impl NewFormFields {
    pub fn is(&self, field: &str, value: &str) -> bool {
        let v = match field {
            "application" => &self.application,
            "purpose" => &self.purpose,
            "institution" => &self.institution,
            "jurisdiction" => &self.jurisdiction,
            "patient_sex" => &self.patient_sex,
            "carry_over" => &self.carry_over,
            _ => return false,
        };
        v == value
    }
    pub fn consent(&self) -> bool {
        self.research_consent == "yes"
    }
}

#[derive(Template)]
#[template(path = "form_new.html")]
struct NewFormPage {
    l: Layout,
    errors: Vec<FieldError>,
    f: NewFormFields,
    diseases: Vec<DiseaseChoice>,
    more_diseases: bool,
    institutions: Vec<String>,
    bodies: Vec<(String, String)>,
}

impl NewFormPage {
    pub fn error_at(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

/// The diseases a doctor may pick: those matching `q`, the chosen one first.
async fn disease_choices(
    state: &WebState,
    web: &Web,
    q: &str,
    chosen: &str,
) -> (Vec<DiseaseChoice>, bool) {
    const SHOWN: usize = 30;
    let list = queries::masters::diseases(
        &state.store,
        &state.masters,
        web.actor.program,
        Some(q),
        SHOWN + 1,
    )
    .await
    .unwrap_or_default();
    let more = list.len() > SHOWN;
    let mut choices: Vec<DiseaseChoice> = list
        .into_iter()
        .take(SHOWN)
        .map(|d| DiseaseChoice {
            checked: d.code == chosen,
            code: d.code,
            name: d.name_ja,
            group: d.disease_group.unwrap_or_default(),
        })
        .collect();
    if !chosen.is_empty() && !choices.iter().any(|c| c.code == chosen) {
        if let Ok(found) = queries::masters::diseases(
            &state.store,
            &state.masters,
            web.actor.program,
            Some(chosen),
            50,
        )
        .await
        {
            if let Some(d) = found.into_iter().find(|d| d.code == chosen) {
                choices.insert(
                    0,
                    DiseaseChoice {
                        checked: true,
                        code: d.code,
                        name: d.name_ja,
                        group: d.disease_group.unwrap_or_default(),
                    },
                );
            }
        }
    }
    (choices, more)
}

async fn new_form_page(
    state: &WebState,
    web: &Web,
    f: NewFormFields,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> Response {
    let (diseases, more_diseases) = disease_choices(state, web, &f.q, &f.disease).await;
    let bodies = state
        .masters
        .municipalities(&state.store)
        .await
        .map(|m| {
            m.bodies
                .iter()
                .map(|b| (b.code.to_string(), b.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    render_status(
        status,
        &NewFormPage {
            l: Layout::of(web, "new_form.title"),
            errors,
            institutions: web
                .actor
                .institutions
                .iter()
                .map(|i| i.to_string())
                .collect(),
            f,
            diseases,
            more_diseases,
            bodies,
        },
    )
}

pub async fn new_form(
    State(state): State<WebState>,
    web: Web,
    Query(mut f): Query<NewFormFields>,
) -> Response {
    if f.application.is_empty() {
        f.application = "new".into();
    }
    if f.purpose.is_empty() {
        f.purpose = "subsidy".into();
    }
    if f.institution.is_empty() {
        f.institution = web
            .actor
            .institutions
            .first()
            .map(|i| i.to_string())
            .unwrap_or_default();
    }
    if f.jurisdiction.is_empty() {
        // The prefecture of the institution, as a first guess the doctor may change.
        f.jurisdiction = InstitutionCode::parse(&f.institution)
            .map(|i| LocalGovernmentCode::of_prefecture(&i.prefecture()).to_string())
            .unwrap_or_default();
    }
    new_form_page(&state, &web, f, vec![], StatusCode::OK).await
}

/// The disease list alone, for the type-ahead (htmx).
#[derive(Template)]
#[template(path = "disease_choices.html")]
struct DiseaseChoicesFragment {
    l: Layout,
    diseases: Vec<DiseaseChoice>,
    more_diseases: bool,
}

pub async fn disease_list(
    State(state): State<WebState>,
    web: Web,
    Query(f): Query<NewFormFields>,
) -> Response {
    let (diseases, more_diseases) = disease_choices(&state, &web, &f.q, &f.disease).await;
    render(&DiseaseChoicesFragment {
        l: Layout::of(&web, "new_form.title"),
        diseases,
        more_diseases,
    })
}

/// The new form's request, parsed from the page; what cannot be parsed is an error at its
/// field (the domain checks everything else).
fn create_request(t: Tr, f: &NewFormFields) -> Result<CreateForm, Vec<FieldError>> {
    let mut errors = vec![];
    let mut need = |field: &str, ok: bool, key: &str| {
        if !ok {
            errors.push(FieldError::new(field, t.s(key)));
        }
    };
    need("disease", !f.disease.is_empty(), "new_form.choose_disease");
    let institution = InstitutionCode::parse(f.institution.trim());
    need(
        "institution",
        institution.is_ok(),
        "new_form.bad_institution",
    );
    let jurisdiction = LocalGovernmentCode::parse(f.jurisdiction.trim());
    need(
        "jurisdiction",
        jurisdiction.is_ok(),
        "new_form.bad_jurisdiction",
    );
    let municipality =
        LocalGovernmentCode::parse(&domain::text::normalize_code(&f.patient_municipality));
    need(
        "patient_municipality",
        municipality.is_ok(),
        "new_form.bad_municipality",
    );
    let sex = match f.patient_sex.as_str() {
        "male" => Some(Sex::Male),
        "female" => Some(Sex::Female),
        _ => None,
    };
    need("patient_sex", sex.is_some(), "new_form.choose_sex");
    let application = match f.application.as_str() {
        "renewal" => Application::Renewal,
        _ => Application::New,
    };
    let purpose = match f.purpose.as_str() {
        "registrant_certificate_only" => Purpose::RegistrantCertificateOnly,
        _ => Purpose::Subsidy,
    };
    let (Ok(institution), Ok(jurisdiction), Ok(municipality), Some(sex), true) = (
        institution,
        jurisdiction,
        municipality,
        sex,
        errors.is_empty(),
    ) else {
        return Err(errors);
    };
    let optional = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    Ok(CreateForm {
        disease: f.disease.clone(),
        form_version: "2024-04-01".into(),
        application,
        purpose,
        institution,
        jurisdiction,
        patient: Some(Patient {
            name_kanji: f.patient_name_kanji.clone(),
            name_kana: f.patient_name_kana.clone(),
            birth_date: f.patient_birth_date.clone(),
            sex,
            address: f.patient_address.clone(),
            municipality,
            insurer_number: optional(&f.patient_insurer_number),
            insured_symbol_number: optional(&f.patient_insured_symbol_number),
            recipient_number: None,
        }),
        research_consent: f.consent(),
        items: BTreeMap::new(),
        carry_over_from: (f.carry_over == "latest").then(|| "latest".to_owned()),
    })
}

pub async fn create(
    State(state): State<WebState>,
    web: Web,
    crate::session::Origin(origin): crate::session::Origin,
    Form(f): Form<NewFormFields>,
) -> Response {
    let t = web.t;
    let request = match create_request(t, &f) {
        Ok(r) => r,
        Err(errors) => {
            return new_form_page(&state, &web, f, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    };
    match commands::forms::create_form(
        &state.store,
        &state.masters,
        web.actor.clone(),
        request,
        None,
        origin.as_deref(),
    )
    .await
    {
        Ok((id, _)) => Redirect::to(&format!("/forms/{id}?created=1")).into_response(),
        Err(e) => {
            let p = Problem::from(e);
            if p.status == 422 || p.status == 403 {
                let errors = field_errors(t, &p);
                new_form_page(
                    &state,
                    &web,
                    f,
                    errors,
                    StatusCode::from_u16(p.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
                )
                .await
            } else {
                problem_page(t, Some(&web), &p)
            }
        }
    }
}

/// The master of a form's own disease and version.
pub async fn master_of(state: &WebState, view: &FormView) -> Option<(DiseaseForm, String)> {
    let program = view.program?;
    state
        .masters
        .disease(
            &state.store,
            program,
            &view.disease,
            &view.form_version,
            commands::forms::Pick::JudgedWith(
                view.judged_with.as_ref().map(|m| m.master_version.as_str()),
            ),
        )
        .await
        .ok()
        .flatten()
}
