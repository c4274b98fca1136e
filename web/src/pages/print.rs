//! The paper the patient takes to the prefecture: アクセスキー付き臨床調査個人票・医療意見書 (the
//! institution, the doctor, the patient block, every entered item with its label, the
//! judgment, and the access key in large type and as a QR code), and the short slip some
//! prefectures accept instead (the key, 作成年月日, 診断年月日, institution and doctor). A4, with
//! the print stylesheet; reading it is a recorded read like any other.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use commands::problem::Problem;
use domain::account::Account;
use domain::institution::Institution;
use domain::judgment::Outcome;

use super::entry::display_value;
use super::forms::master_of;
use super::{problem_page, render, Layout};
use crate::session::{Origin, Web};
use crate::WebState;

/// One printed line: label and value.
pub struct Line {
    pub label: String,
    pub value: String,
}

pub struct PrintSection {
    pub key: &'static str,
    pub lines: Vec<Line>,
}

#[derive(Template)]
#[template(path = "print.html")]
struct PrintPage {
    l: Layout,
    id: String,
    title_key: &'static str,
    slip: bool,
    disease: String,
    institution: String,
    doctor: String,
    created: String,
    diagnosed: String,
    patient: Vec<Line>,
    sections: Vec<PrintSection>,
    outcome_key: String,
    access_key: String,
    qr_svg: String,
}

/// The access key as a QR code, an inline SVG (no script, nothing fetched).
fn qr(key: &str) -> String {
    match qrcode::QrCode::new(key.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(160, 160)
            .quiet_zone(true)
            .build()
            .replacen("<svg ", "<svg role=\"img\" aria-label=\"QR\" ", 1),
        Err(e) => {
            tracing::error!(error = %e, "no QR code for an access key");
            String::new()
        }
    }
}

async fn print(
    state: WebState,
    web: Web,
    origin: Option<String>,
    id: String,
    slip: bool,
) -> Response {
    let t = web.t;
    let what = if slip { "print_slip" } else { "print" };
    let view = match commands::forms::read_form_as(
        &state.store,
        &web.actor,
        &id,
        None,
        what,
        origin.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(e) => return problem_page(t, Some(&web), &Problem::from(e)),
    };
    let Some(access_key) = view.access_key.clone() else {
        // Nothing to print before submission: the key is what the paper is for.
        return super::not_found(t);
    };
    let Some((master, _)) = master_of(&state, &view).await else {
        return super::not_found(t);
    };
    let institution = match &view.institution {
        Some(code) => match commands::load::<Institution>(&state.store, code).await {
            Ok((i, _)) => format!("{}（{code}）", i.name),
            Err(_) => code.clone(),
        },
        None => String::new(),
    };
    let doctor = match commands::load::<Account>(&state.store, &view.author).await {
        Ok((a, _)) => a.profile.map(|p| p.display_name).unwrap_or_default(),
        Err(_) => String::new(),
    };
    let p = view.patient.as_ref();
    let line = |label_key: &str, value: String| Line {
        label: t.s(label_key).to_owned(),
        value,
    };
    let patient = match p {
        Some(p) => vec![
            line("patient.name_kanji", p.name_kanji.clone()),
            line("patient.name_kana", p.name_kana.clone()),
            line("patient.birth_date", p.birth_date.clone()),
            line(
                "patient.sex",
                t.s(match p.sex {
                    domain::form::Sex::Male => "patient.male",
                    _ => "patient.female",
                })
                .to_owned(),
            ),
            line("patient.address", p.address.clone()),
            line(
                "patient.insurer_number",
                p.insurer_number.clone().unwrap_or_default(),
            ),
            line(
                "patient.insured_symbol_number",
                p.insured_symbol_number.clone().unwrap_or_default(),
            ),
        ],
        None => vec![],
    };
    let sections = super::entry::sections(t, &master, &view.items, view.judgment.as_ref(), &[])
        .into_iter()
        .map(|s| PrintSection {
            key: s.key,
            lines: s
                .items
                .into_iter()
                .filter_map(|it| {
                    view.items.get(&it.id).map(|v| Line {
                        label: it.label.clone(),
                        value: format!(
                            "{}{}",
                            display_value(&master, &it.id, v),
                            if it.unit.is_empty() {
                                String::new()
                            } else {
                                format!(" {}", it.unit)
                            }
                        ),
                    })
                })
                .collect(),
        })
        .filter(|s: &PrintSection| !s.lines.is_empty())
        .collect();
    let outcome = match view.judgment.as_ref().map(|j| &j.outcome) {
        Some(Outcome::Meets) => "meets",
        Some(Outcome::DoesNotMeet) => "does_not_meet",
        Some(Outcome::Undeterminable { .. }) => "undeterminable",
        Some(Outcome::Municipality) => "municipality",
        None => "none",
    };
    let created = view
        .updated_at
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    render(&PrintPage {
        l: Layout::titled(&web, format!("{} {}", master.code, master.name_ja)),
        id: view.id.clone(),
        title_key: match master.program {
            domain::Program::Nanbyo => "print.title_nanbyo",
            domain::Program::Shoman => "print.title_shoman",
        },
        slip,
        disease: format!("{} {}", master.code, master.name_ja),
        institution,
        doctor,
        created,
        diagnosed: view
            .items
            .get("basic.diagnosis_ym")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned(),
        patient,
        sections,
        outcome_key: super::forms::outcome_key(Some(outcome)),
        qr_svg: qr(&access_key),
        access_key,
    })
}

pub async fn full(
    State(state): State<WebState>,
    web: Web,
    Origin(origin): Origin,
    Path(id): Path<String>,
) -> Response {
    print(state, web, origin, id, false).await
}

pub async fn slip(
    State(state): State<WebState>,
    web: Web,
    Origin(origin): Origin,
    Path(id): Path<String>,
) -> Response {
    print(state, web, origin, id, true).await
}
