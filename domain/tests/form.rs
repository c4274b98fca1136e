//! The clinical form, given / when / then: who may do what, at which stage, and which events a
//! command produces.

use std::collections::BTreeMap;

use domain::disease::{shipped, DiseaseForm};
use domain::form::{
    Actor, Application, ClinicalForm, Designation, FormAction, FormCommand, FormError, FormEvent,
    ImportOrigin, Patient, ReviewResult, Sex, Status,
};
use domain::judgment::{Criterion, Outcome, Purpose};
use domain::municipality::Municipalities;
use domain::{
    Aggregate, DomainEvent, EventCatalog, InstitutionCode, LocalGovernmentCode, Program, Role,
};
use serde_json::{json, Value};

const HOSPITAL: &str = "0110113719";
const OTHER_HOSPITAL: &str = "1310112345";
const HOKKAIDO: &str = "010006";
const TOKYO: &str = "130001";
const KEY: &str = "ABCD2345EFGH";

fn parkinson() -> std::sync::Arc<(DiseaseForm, String)> {
    let d = shipped()
        .into_iter()
        .find(|d| d.program == Program::Nanbyo && d.code == "6")
        .expect("shipped");
    std::sync::Arc::new((d, "master-2024-04-01".into()))
}

fn code(c: &str) -> InstitutionCode {
    InstitutionCode::parse(c).expect("code")
}

fn gov(c: &str) -> LocalGovernmentCode {
    LocalGovernmentCode::parse(c).expect("code")
}

fn actor(role: Role) -> Actor {
    Actor {
        account: format!("{}-1", role.as_str()),
        role,
        program: Program::Nanbyo,
        institutions: match role {
            Role::DesignatedDoctor | Role::Clerk => vec![code(HOSPITAL)],
            _ => vec![],
        },
        jurisdiction: matches!(role, Role::MunicipalityStaff | Role::MunicipalityAdmin)
            .then(|| gov(HOKKAIDO)),
        designation: (role == Role::DesignatedDoctor).then_some(Designation::Nanbyo),
        responsible_for: None,
    }
}

fn patient() -> Patient {
    Patient {
        name_kanji: "山田 太郎".into(),
        name_kana: "ヤマダ タロウ".into(),
        birth_date: "1950-04-01".into(),
        sex: Sex::Male,
        address: "小樽市花園2丁目".into(),
        municipality: gov("012025"),
        insurer_number: Some("01234567".into()),
        insured_symbol_number: Some("記号1・番号2".into()),
        recipient_number: None,
    }
}

fn meets() -> BTreeMap<String, Value> {
    serde_json::from_value(json!({
        "basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02",
        "dx.parkinsonism": true, "dx.imaging_no_cause": true,
        "dx.no_drug_toxin_exposure": true, "dx.antiparkinson_response": true,
        "sev.hoehn_yahr": "3", "sev.daily_life_disability": "2"
    }))
    .expect("items")
}

fn cmd(actor: Actor, action: FormAction) -> FormCommand {
    FormCommand {
        actor,
        reason: None,
        today: Some("2024-06-01".into()),
        action,
    }
}

fn draft(
    actor: Actor,
    application: Application,
    purpose: Purpose,
    items: BTreeMap<String, Value>,
) -> FormCommand {
    cmd(
        actor,
        FormAction::Draft {
            master: parkinson(),
            municipalities: std::sync::Arc::new(Municipalities {
                version: "shipped".into(),
                bodies: domain::municipality::shipped(),
            }),
            application,
            purpose,
            institution: code(HOSPITAL),
            jurisdiction: gov(HOKKAIDO),
            patient: Box::new(patient()),
            research_consent: true,
            items,
            carried_over: None,
            paper: None,
            imported: None,
        },
    )
}

fn edit(actor: Actor, items: Value) -> FormCommand {
    cmd(
        actor,
        FormAction::Edit {
            master: parkinson(),
            items: serde_json::from_value(items).expect("items"),
        },
    )
}

/// When the command, then the new events: each one accepted by the store's validation, and
/// applied to the state.
fn decide_ok(state: &ClinicalForm, command: &FormCommand) -> (ClinicalForm, Vec<FormEvent>) {
    let events = state.decide(command).expect("accepted");
    let catalog = EventCatalog::registry();
    for e in &events {
        let (t, v, payload) = e.to_payload().expect("payload");
        catalog
            .validate(&t, v, &payload)
            .expect("every event passes the store's validation");
    }
    let next = events.iter().fold(state.clone(), |s, e| s.apply(e));
    (next, events)
}

fn drafted() -> (ClinicalForm, Vec<FormEvent>) {
    decide_ok(
        &ClinicalForm::default(),
        &draft(
            actor(Role::DesignatedDoctor),
            Application::New,
            Purpose::Subsidy,
            meets(),
        ),
    )
}

#[test]
fn a_doctor_drafts_a_form_and_the_machine_judges_it() {
    let (state, events) = drafted();
    assert_eq!(events.len(), 2);
    assert!(matches!(&events[0], FormEvent::FormDrafted { disease, .. } if disease == "6"));
    match &events[1] {
        FormEvent::JudgmentRecorded { judgment, master } => {
            assert_eq!(judgment.outcome, Outcome::Meets);
            assert_eq!(
                (judgment.diagnosis, judgment.severity),
                (Criterion::Met, Criterion::Met)
            );
            assert_eq!(master.master_version, "master-2024-04-01");
            assert_eq!(
                judgment.filled.get("sev.meets_severity"),
                Some(&json!(true))
            );
        }
        other => panic!("expected a judgment, got {other:?}"),
    }
    assert_eq!(state.status, Some(Status::Draft));
}

#[test]
fn a_doctor_of_another_institution_or_program_cannot_draft() {
    let mut elsewhere = actor(Role::DesignatedDoctor);
    elsewhere.institutions = vec![code(OTHER_HOSPITAL)];
    let c = draft(elsewhere, Application::New, Purpose::Subsidy, meets());
    assert!(matches!(
        ClinicalForm::default().decide(&c),
        Err(FormError::Forbidden(_))
    ));

    let mut shoman = actor(Role::DesignatedDoctor);
    shoman.program = Program::Shoman;
    let c = draft(shoman, Application::New, Purpose::Subsidy, meets());
    assert!(matches!(
        ClinicalForm::default().decide(&c),
        Err(FormError::Forbidden(_))
    ));

    let c = draft(
        actor(Role::MunicipalityStaff),
        Application::New,
        Purpose::Subsidy,
        meets(),
    );
    assert!(matches!(
        ClinicalForm::default().decide(&c),
        Err(FormError::Forbidden(_))
    ));
}

#[test]
fn invalid_item_values_are_refused_item_by_item() {
    let mut items = meets();
    items.insert("sev.hoehn_yahr".into(), json!("9"));
    items.insert("basic.onset_ym".into(), json!("2019-13"));
    items.insert("dx.unknown".into(), json!(true));
    let c = draft(
        actor(Role::DesignatedDoctor),
        Application::New,
        Purpose::Subsidy,
        items,
    );
    match ClinicalForm::default().decide(&c) {
        Err(FormError::InvalidItems(errors)) => {
            let ids: Vec<&str> = errors.iter().map(|e| e.item.as_str()).collect();
            assert_eq!(ids, ["basic.onset_ym", "dx.unknown", "sev.hoehn_yahr"]);
            assert!(errors
                .iter()
                .all(|e| !e.message_ja.is_empty() && !e.message_en.is_empty()));
        }
        other => panic!("expected item errors, got {other:?}"),
    }
}

fn draft_with_patient(patient: Patient) -> FormCommand {
    let mut c = draft(
        actor(Role::DesignatedDoctor),
        Application::New,
        Purpose::Subsidy,
        meets(),
    );
    if let FormAction::Draft { patient: p, .. } = &mut c.action {
        **p = patient;
    }
    c
}

/// The per-field errors of a refused command, as (field, code).
fn field_errors(result: Result<Vec<FormEvent>, FormError>) -> Vec<(String, String)> {
    match result {
        Err(FormError::InvalidItems(errors)) => {
            assert!(errors
                .iter()
                .all(|e| !e.message_ja.is_empty() && !e.message_en.is_empty()));
            errors.into_iter().map(|e| (e.item, e.code)).collect()
        }
        other => panic!("expected per-field errors, got {other:?}"),
    }
}

#[test]
fn the_patient_block_is_refused_field_by_field_when_it_breaks_the_forms_rules() {
    let bad = Patient {
        name_kanji: "<script>alert(1)</script>".into(),
        name_kana: "<script>".into(),
        address: format!("小樽市\u{202E}花園{}", "丁".repeat(5000)),
        insurer_number: Some("12-34".into()),
        insured_symbol_number: Some("記号\u{0000}1".into()),
        ..patient()
    };
    let errors = field_errors(ClinicalForm::default().decide(&draft_with_patient(bad)));
    let pairs: Vec<(&str, &str)> = errors
        .iter()
        .map(|(f, c)| (f.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("patient.name_kanji", "invalid_characters"),
            ("patient.name_kana", "invalid_characters"),
            ("patient.address", "invalid_characters"),
            ("patient.insurer_number", "invalid_characters"),
            ("patient.insured_symbol_number", "invalid_characters"),
        ]
    );
    let long = Patient {
        name_kanji: "山".repeat(51),
        address: "花".repeat(201),
        ..patient()
    };
    let errors = field_errors(ClinicalForm::default().decide(&draft_with_patient(long)));
    assert_eq!(
        errors,
        [
            ("patient.name_kanji".to_owned(), "too_long".to_owned()),
            ("patient.address".to_owned(), "too_long".to_owned()),
        ]
    );
    // At the limits, accepted.
    let longest = Patient {
        name_kanji: "山".repeat(50),
        name_kana: "ア".repeat(100),
        address: "花".repeat(200),
        ..patient()
    };
    assert!(ClinicalForm::default()
        .decide(&draft_with_patient(longest))
        .is_ok());
}

#[test]
fn half_width_kana_and_full_width_digits_are_stored_normalised() {
    let typed = Patient {
        name_kana: "ﾔﾏﾀﾞ　 ﾀﾛｳ".into(),
        insurer_number: Some("０１２３４５６７".into()),
        ..patient()
    };
    let events = ClinicalForm::default()
        .decide(&draft_with_patient(typed))
        .expect("accepted");
    match &events[0] {
        FormEvent::FormDrafted { patient: p, .. } => {
            assert_eq!(p.name_kana, "ヤマダ タロウ");
            assert_eq!(p.insurer_number.as_deref(), Some("01234567"));
            // The kanji name is kept as written.
            assert_eq!(p.name_kanji, "山田 太郎");
            assert_eq!(p.key(Program::Nanbyo), patient().key(Program::Nanbyo));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn text_items_and_reasons_refuse_control_and_direction_characters() {
    let (state, _) = drafted();
    let (submitted, _) = decide_ok(
        &state,
        &cmd(
            actor(Role::DesignatedDoctor),
            FormAction::Submit {
                access_key: KEY.into(),
            },
        ),
    );
    let mut c = edit(
        actor(Role::DesignatedDoctor),
        json!({"sev.hoehn_yahr": "4"}),
    );
    c.reason = Some("転記誤り\u{202E}".into());
    assert_eq!(
        field_errors(submitted.decide(&c)),
        [("reason".to_owned(), "invalid_characters".to_owned())]
    );
    c.reason = Some("転記誤り\n（外来記録を確認）".into());
    assert!(submitted.decide(&c).is_ok());
}

#[test]
fn edits_record_old_and_new_values_and_a_judgment_only_when_it_changes() {
    let (state, _) = drafted();
    // A change that keeps the outcome: one event.
    let (state, events) = decide_ok(
        &state,
        &edit(actor(Role::Clerk), json!({"sev.hoehn_yahr": "4"})),
    );
    assert_eq!(events.len(), 1);
    match &events[0] {
        FormEvent::ItemsEdited { changes } => {
            assert_eq!(changes.len(), 1);
            assert_eq!(
                (changes[0].old.clone(), changes[0].new.clone()),
                (json!("3"), json!("4"))
            );
        }
        other => panic!("{other:?}"),
    }
    // A change that flips the outcome: the edit and the new judgment.
    let (state, events) = decide_ok(
        &state,
        &edit(actor(Role::Clerk), json!({"sev.hoehn_yahr": "2"})),
    );
    assert_eq!(events.len(), 2);
    assert!(matches!(
        &events[1],
        FormEvent::JudgmentRecorded { judgment, .. }
            if judgment.outcome == Outcome::DoesNotMeet && judgment.severity == Criterion::NotMet
    ));
    // The outcome stays "does not meet", but the judgment's details change (the diagnosis is
    // now unknown, a required item is missing): that is recorded too.
    let (_, events) = decide_ok(
        &state,
        &edit(actor(Role::Clerk), json!({"dx.parkinsonism": null})),
    );
    assert!(matches!(
        &events[1],
        FormEvent::JudgmentRecorded { judgment, .. }
            if judgment.outcome == Outcome::DoesNotMeet
                && judgment.diagnosis == Criterion::Unknown
                && judgment.errors.iter().any(|e| e.code == "required")
    ));
    // From a form that meets, clearing an item makes it undeterminable.
    let (state, _) = drafted();
    let (_, events) = decide_ok(
        &state,
        &edit(actor(Role::Clerk), json!({"dx.parkinsonism": null})),
    );
    assert!(matches!(
        &events[1],
        FormEvent::JudgmentRecorded { judgment, .. }
            if judgment.outcome == Outcome::Undeterminable { missing: vec!["dx.parkinsonism".into()] }
    ));
    // A new consistency error with the same outcome is recorded as well.
    let (state, _) = drafted();
    let (_, events) = decide_ok(
        &state,
        &edit(actor(Role::Clerk), json!({"basic.onset_ym": "2021-01"})),
    );
    assert!(matches!(
        &events[1],
        FormEvent::JudgmentRecorded { judgment, .. }
            if judgment.outcome == Outcome::Meets
                && judgment.errors.iter().any(|e| e.code == "onset_after_diagnosis")
    ));
    // Saving the same values is refused rather than recorded.
    let (state, _) = drafted();
    assert_eq!(
        state.decide(&edit(
            actor(Role::DesignatedDoctor),
            json!({"sev.hoehn_yahr": "3"})
        )),
        Err(FormError::Unchanged)
    );
}

#[test]
fn after_submission_a_clerk_cannot_edit_and_a_doctor_must_give_a_reason() {
    let (state, _) = drafted();
    assert!(matches!(
        state.decide(&cmd(
            actor(Role::Clerk),
            FormAction::Submit {
                access_key: KEY.into()
            }
        )),
        Err(FormError::Forbidden(_))
    ));
    let (state, _) = decide_ok(
        &state,
        &cmd(
            actor(Role::DesignatedDoctor),
            FormAction::Submit {
                access_key: KEY.into(),
            },
        ),
    );
    assert_eq!(state.status, Some(Status::Submitted));
    assert!(matches!(
        state.decide(&edit(actor(Role::Clerk), json!({"sev.hoehn_yahr": "4"}))),
        Err(FormError::Forbidden(_))
    ));
    assert_eq!(
        state.decide(&edit(
            actor(Role::DesignatedDoctor),
            json!({"sev.hoehn_yahr": "4"})
        )),
        Err(FormError::ReasonRequired)
    );
    let mut with_reason = edit(
        actor(Role::DesignatedDoctor),
        json!({"sev.hoehn_yahr": "4"}),
    );
    with_reason.reason = Some("転記誤りの訂正".into());
    decide_ok(&state, &with_reason);
}

#[test]
fn a_cooperating_doctor_submits_renewals_only() {
    let mut cooperating = actor(Role::DesignatedDoctor);
    cooperating.designation = Some(Designation::CooperatingNanbyo);
    let (new_form, _) = drafted();
    assert!(matches!(
        new_form.decide(&cmd(
            cooperating.clone(),
            FormAction::Submit {
                access_key: KEY.into()
            }
        )),
        Err(FormError::Forbidden(_))
    ));
    let (renewal, _) = decide_ok(
        &ClinicalForm::default(),
        &draft(
            actor(Role::DesignatedDoctor),
            Application::Renewal,
            Purpose::Subsidy,
            meets(),
        ),
    );
    decide_ok(
        &renewal,
        &cmd(
            cooperating,
            FormAction::Submit {
                access_key: KEY.into(),
            },
        ),
    );
}

fn received(purpose: Purpose) -> ClinicalForm {
    let (state, _) = decide_ok(
        &ClinicalForm::default(),
        &draft(
            actor(Role::DesignatedDoctor),
            Application::New,
            purpose,
            meets(),
        ),
    );
    let (state, _) = decide_ok(
        &state,
        &cmd(
            actor(Role::DesignatedDoctor),
            FormAction::Submit {
                access_key: KEY.into(),
            },
        ),
    );
    let (state, _) = decide_ok(
        &state,
        &cmd(
            actor(Role::MunicipalityStaff),
            FormAction::Receive {
                access_key: KEY.to_lowercase(),
            },
        ),
    );
    state
}

#[test]
fn the_municipality_of_the_jurisdiction_receives_and_reviews() {
    let state = received(Purpose::Subsidy);
    assert_eq!(state.status, Some(Status::Received));
    assert_eq!(state.access_key.as_deref(), Some(KEY));

    let mut tokyo = actor(Role::MunicipalityStaff);
    tokyo.jurisdiction = Some(gov(TOKYO));
    let certified = FormAction::Review {
        result: ReviewResult::Certified {
            from: "2024-05-01".into(),
            to: "2025-04-30".into(),
        },
    };
    // Another jurisdiction does not even see the form.
    assert_eq!(
        state.decide(&cmd(tokyo, certified.clone())),
        Err(FormError::NotFound)
    );
    let (state, _) = decide_ok(
        &state,
        &cmd(actor(Role::MunicipalityStaff), certified.clone()),
    );
    assert_eq!(state.status, Some(Status::Decided));
    assert!(matches!(
        state.decide(&cmd(actor(Role::MunicipalityStaff), certified)),
        Err(FormError::WrongStatus(Status::Decided))
    ));
}

#[test]
fn a_certificate_only_form_takes_the_certificate_result_rule() {
    let state = received(Purpose::RegistrantCertificateOnly);
    let grant = FormAction::Review {
        result: ReviewResult::Certified {
            from: "2024-05-01".into(),
            to: "2025-04-30".into(),
        },
    };
    assert!(matches!(
        state.decide(&cmd(actor(Role::MunicipalityStaff), grant)),
        Err(FormError::Invalid(_))
    ));
    let (state, _) = decide_ok(
        &state,
        &cmd(
            actor(Role::MunicipalityStaff),
            FormAction::Review {
                result: ReviewResult::CertificateIssued,
            },
        ),
    );
    assert_eq!(state.review, Some(ReviewResult::CertificateIssued));
}

#[test]
fn a_municipal_correction_needs_a_reason_and_keeps_old_and_new() {
    let state = received(Purpose::Subsidy);
    let correct = |reason: Option<&str>| FormCommand {
        actor: actor(Role::MunicipalityStaff),
        reason: reason.map(str::to_owned),
        today: Some("2024-06-01".into()),
        action: FormAction::Correct {
            master: parkinson(),
            items: serde_json::from_value(json!({"basic.diagnosis_ym": "2020-03"})).expect("items"),
        },
    };
    assert_eq!(state.decide(&correct(None)), Err(FormError::ReasonRequired));
    let (_, events) = decide_ok(&state, &correct(Some("紙の申請書と照合")));
    assert!(
        matches!(&events[0], FormEvent::DataCorrected { changes } if changes[0].old == json!("2020-02"))
    );
}

#[test]
fn patient_data_stays_out_of_debug_output() {
    let (_, events) = drafted();
    let debug = format!("{:?}", events[0]);
    assert!(
        !debug.contains("山田") && !debug.contains("1950-04-01"),
        "{debug}"
    );
}

#[test]
fn carry_over_keeps_what_the_new_version_has_and_lists_what_it_drops() {
    let master = parkinson().0.clone();
    let mut previous = meets();
    previous.insert("old.item_removed_in_2024".into(), json!(true));
    previous.insert("sev.meets_severity".into(), json!(true));
    previous.insert("sev.hoehn_yahr".into(), json!("9"));
    let (kept, dropped) = domain::form::carry_over_items(&previous, &master);
    assert_eq!(dropped, ["old.item_removed_in_2024", "sev.hoehn_yahr"]);
    assert!(
        !kept.contains_key("sev.meets_severity"),
        "derived items are judged again"
    );
    assert_eq!(kept.get("dx.parkinsonism"), Some(&json!(true)));
}

#[test]
fn the_jurisdiction_must_be_the_patients_implementing_body() {
    // 札幌市 is a designated city: its residents' forms go to the city, not to 北海道.
    let mut c = draft(
        actor(Role::DesignatedDoctor),
        Application::New,
        Purpose::Subsidy,
        meets(),
    );
    if let FormAction::Draft { patient, .. } = &mut c.action {
        patient.municipality = gov("011002");
    }
    assert!(matches!(
        ClinicalForm::default().decide(&c),
        Err(FormError::Invalid(_))
    ));
    if let FormAction::Draft { jurisdiction, .. } = &mut c.action {
        *jurisdiction = gov("011002");
    }
    decide_ok(&ClinicalForm::default(), &c);
    // 小樽市 is not an implementing body.
    if let FormAction::Draft { jurisdiction, .. } = &mut c.action {
        *jurisdiction = gov("012025");
    }
    assert!(matches!(
        ClinicalForm::default().decide(&c),
        Err(FormError::Invalid(_))
    ));
    // A 小樽市 resident cannot be filed under 札幌市, nor a 札幌市中央区 resident under 北海道.
    let wrong = |municipality: &str, body: &str| {
        let mut c = draft(
            actor(Role::DesignatedDoctor),
            Application::New,
            Purpose::Subsidy,
            meets(),
        );
        if let FormAction::Draft {
            patient,
            jurisdiction,
            ..
        } = &mut c.action
        {
            patient.municipality = gov(municipality);
            *jurisdiction = gov(body);
        }
        ClinicalForm::default().decide(&c)
    };
    assert!(matches!(
        wrong("012025", "011002"),
        Err(FormError::Invalid(_))
    ));
    assert!(matches!(
        wrong("011011", HOKKAIDO),
        Err(FormError::Invalid(_))
    ));
    assert!(wrong("011011", "011002").is_ok());
}

#[test]
fn municipality_users_do_not_see_drafts_and_withdrawal_follows_the_stage() {
    let (draft_state, _) = drafted();
    assert!(!draft_state.in_scope(&actor(Role::MunicipalityStaff)));
    let withdraw = |role: Role| {
        cmd(
            actor(role),
            FormAction::Withdraw {
                reason: "患者の申し出".into(),
            },
        )
    };
    assert_eq!(
        draft_state.decide(&withdraw(Role::MunicipalityStaff)),
        Err(FormError::NotFound)
    );
    assert!(matches!(
        draft_state.decide(&withdraw(Role::Clerk)),
        Err(FormError::Forbidden(_))
    ));
    decide_ok(&draft_state, &withdraw(Role::DesignatedDoctor));

    let received = received(Purpose::Subsidy);
    assert!(received.in_scope(&actor(Role::MunicipalityStaff)));
    assert!(matches!(
        received.decide(&withdraw(Role::DesignatedDoctor)),
        Err(FormError::WrongStatus(_))
    ));
    assert!(matches!(
        received.decide(&withdraw(Role::MunicipalityAdmin)),
        Err(FormError::Forbidden(_))
    ));
    decide_ok(&received, &withdraw(Role::MunicipalityStaff));
}

#[test]
fn submitting_needs_a_designation_for_the_program() {
    let (state, _) = drafted();
    let mut undesignated = actor(Role::DesignatedDoctor);
    undesignated.designation = None;
    assert!(matches!(
        state.decide(&cmd(
            undesignated,
            FormAction::Submit {
                access_key: KEY.into()
            }
        )),
        Err(FormError::Forbidden(_))
    ));
    let mut shoman_designation = actor(Role::DesignatedDoctor);
    shoman_designation.designation = Some(Designation::Shoman);
    assert!(matches!(
        state.decide(&cmd(
            shoman_designation,
            FormAction::Submit {
                access_key: KEY.into()
            }
        )),
        Err(FormError::Forbidden(_))
    ));
}

#[test]
fn review_dates_must_be_real_and_a_refused_subsidy_can_still_issue_the_certificate() {
    let state = received(Purpose::Subsidy);
    let review = |result| {
        cmd(
            actor(Role::MunicipalityStaff),
            FormAction::Review { result },
        )
    };
    for (from, to) in [
        ("abcdefghij", "2025-04-30"),
        ("2024-13-45", "2025-04-30"),
        ("2025-05-01", "2024-04-30"),
    ] {
        let r = state.decide(&review(ReviewResult::Certified {
            from: from.into(),
            to: to.into(),
        }));
        assert!(matches!(r, Err(FormError::Invalid(_))), "{from} {to}");
    }
    let (state, _) = decide_ok(
        &state,
        &review(ReviewResult::NotCertified {
            reason: "重症度基準を満たさない".into(),
            certificate_issued: true,
        }),
    );
    assert!(matches!(
        state.review,
        Some(ReviewResult::NotCertified {
            certificate_issued: true,
            ..
        })
    ));
}

#[test]
fn the_municipality_receives_with_the_key_printed_at_submission() {
    let (state, _) = drafted();
    let (state, events) = decide_ok(
        &state,
        &cmd(
            actor(Role::DesignatedDoctor),
            FormAction::Submit {
                access_key: KEY.into(),
            },
        ),
    );
    assert!(matches!(&events[0], FormEvent::FormSubmitted { access_key, .. } if access_key == KEY));
    let receive = |key: &str| {
        cmd(
            actor(Role::MunicipalityStaff),
            FormAction::Receive {
                access_key: key.into(),
            },
        )
    };
    assert_eq!(
        state.decide(&receive("ABCD2345EFGJ")),
        Err(FormError::AccessKeyMismatch)
    );
    let (state, _) = decide_ok(&state, &receive(" abcd2345efgh "));
    assert_eq!(state.status, Some(Status::Received));
    // A key that is not 12 characters of the alphabet is refused at submission.
    let (draft, _) = drafted();
    assert!(matches!(
        draft.decide(&cmd(
            actor(Role::DesignatedDoctor),
            FormAction::Submit {
                access_key: "O0I1O0I1O0I1".into()
            }
        )),
        Err(FormError::Invalid(_))
    ));
}

#[test]
fn the_municipality_records_the_administrative_fields_field_by_field() {
    let state = received(Purpose::Subsidy);
    let record = |role: Role, fields: Value| {
        cmd(
            actor(role),
            FormAction::RecordAdministrative {
                fields: serde_json::from_value(fields).expect("fields"),
            },
        )
    };
    let (state, events) = decide_ok(
        &state,
        &record(
            Role::MunicipalityStaff,
            json!({"application_date": "2024-05-10", "recipient_number": "1234566", "mild_high_cost": true}),
        ),
    );
    assert!(
        matches!(&events[0], FormEvent::AdministrativeFieldsRecorded { changes } if changes.len() == 3)
    );
    assert_eq!(
        state.administrative.get("mild_high_cost"),
        Some(&json!(true))
    );
    // Old → new, and a cleared field: changing what was recorded needs a reason.
    let change = json!({"mild_high_cost": false, "application_date": null});
    assert_eq!(
        state.decide(&record(Role::MunicipalityStaff, change.clone())),
        Err(FormError::ReasonRequired)
    );
    let mut with_reason = record(Role::MunicipalityStaff, change);
    with_reason.reason = Some("申請書の記載に合わせる".into());
    let (state, events) = decide_ok(&state, &with_reason);
    match &events[0] {
        FormEvent::AdministrativeFieldsRecorded { changes } => {
            assert_eq!(changes.len(), 2);
            assert!(changes.iter().any(|c| c.item == "mild_high_cost"
                && c.old == json!(true)
                && c.new == json!(false)));
        }
        other => panic!("{other:?}"),
    }
    assert!(!state.administrative.contains_key("application_date"));
    // Wrong values are refused field by field; doctors do not fill them.
    match state.decide(&record(
        Role::MunicipalityStaff,
        json!({"recipient_number": "1234567", "unknown_field": 1, "mild_high_cost": "yes"}),
    )) {
        Err(FormError::InvalidItems(errors)) => assert_eq!(errors.len(), 3),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        state.decide(&record(Role::DesignatedDoctor, json!({"remarks": "x"}))),
        Err(FormError::Forbidden(_))
    ));
}

fn change_patient(actor: Actor, reason: Option<&str>, patient: Patient) -> FormCommand {
    FormCommand {
        actor,
        reason: reason.map(str::to_owned),
        today: Some("2024-06-01".into()),
        action: FormAction::ChangePatient {
            patient: Box::new(patient),
            municipalities: std::sync::Arc::new(Municipalities {
                version: "shipped".into(),
                bodies: domain::municipality::shipped(),
            }),
        },
    }
}

#[test]
fn the_patients_data_are_corrected_field_by_field_by_whoever_holds_the_form() {
    let (state, _) = drafted();
    let moved = Patient {
        name_kana: "ヤマダ タロ".into(),
        address: "小樽市稲穂1丁目".into(),
        ..patient()
    };
    // A draft: the institution's clerk corrects it, no reason needed; the event names each
    // field with its old and new value and carries the whole block.
    let (state, events) = decide_ok(
        &state,
        &change_patient(actor(Role::Clerk), None, moved.clone()),
    );
    match &events[..] {
        [FormEvent::PatientDataChanged {
            program,
            changes,
            patient,
        }] => {
            assert_eq!(*program, Program::Nanbyo);
            let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
            assert_eq!(fields, ["address", "name_kana"]);
            assert_eq!(changes[1].old, json!("ヤマダ タロウ"));
            assert_eq!(changes[1].new, json!("ヤマダ タロ"));
            assert_eq!(**patient, moved);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(state.patient.as_ref(), Some(&moved));
    assert_eq!(
        state.decide(&change_patient(actor(Role::Clerk), None, moved.clone())),
        Err(FormError::Unchanged)
    );
    // Moving to 札幌市 would make the form 札幌市's, not 北海道's: refused.
    let to_sapporo = Patient {
        municipality: gov("011002"),
        ..moved.clone()
    };
    assert!(matches!(
        state.decide(&change_patient(actor(Role::Clerk), None, to_sapporo)),
        Err(FormError::Invalid(_))
    ));
    let unnamed = Patient {
        name_kanji: " ".into(),
        ..moved.clone()
    };
    match state.decide(&change_patient(actor(Role::Clerk), None, unnamed)) {
        Err(FormError::InvalidItems(errors)) => {
            let named: Vec<(&str, &str)> = errors
                .iter()
                .map(|e| (e.item.as_str(), e.code.as_str()))
                .collect();
            assert_eq!(named, [("patient.name_kanji", "required")]);
        }
        other => panic!("{other:?}"),
    }
    // The municipality does not touch a draft.
    assert!(matches!(
        state.decide(&change_patient(
            actor(Role::MunicipalityStaff),
            Some("転居"),
            patient()
        )),
        Err(FormError::NotFound | FormError::Forbidden(_))
    ));

    // Submitted: the doctor only, with a reason.
    let (state, _) = decide_ok(
        &state,
        &cmd(
            actor(Role::DesignatedDoctor),
            FormAction::Submit {
                access_key: KEY.into(),
            },
        ),
    );
    assert!(matches!(
        state.decide(&change_patient(actor(Role::Clerk), Some("誤記"), patient())),
        Err(FormError::Forbidden(_))
    ));
    assert_eq!(
        state.decide(&change_patient(
            actor(Role::DesignatedDoctor),
            None,
            patient()
        )),
        Err(FormError::ReasonRequired)
    );
    decide_ok(
        &state,
        &change_patient(actor(Role::DesignatedDoctor), Some("誤記"), patient()),
    );

    // Received: the municipality, with a reason (データ修正); no longer the doctor.
    let (state, _) = decide_ok(
        &state,
        &cmd(
            actor(Role::MunicipalityStaff),
            FormAction::Receive {
                access_key: KEY.into(),
            },
        ),
    );
    assert!(matches!(
        state.decide(&change_patient(
            actor(Role::DesignatedDoctor),
            Some("誤記"),
            patient()
        )),
        Err(FormError::Forbidden(_))
    ));
    assert_eq!(
        state.decide(&change_patient(
            actor(Role::MunicipalityStaff),
            None,
            patient()
        )),
        Err(FormError::ReasonRequired)
    );
    let (state, _) = decide_ok(
        &state,
        &change_patient(
            actor(Role::MunicipalityStaff),
            Some("住民票と照合"),
            patient(),
        ),
    );
    assert_eq!(state.patient.as_ref(), Some(&patient()));
}

#[test]
fn a_patient_change_stays_out_of_debug_output() {
    let (state, _) = drafted();
    let renamed = Patient {
        name_kanji: "山田 次郎".into(),
        ..patient()
    };
    let (_, events) = decide_ok(
        &state,
        &change_patient(actor(Role::DesignatedDoctor), None, renamed),
    );
    let debug = format!("{events:?}");
    assert!(debug.contains("name_kanji"), "{debug}");
    assert!(!debug.contains("山田"), "{debug}");
}

#[test]
fn the_operator_corrects_the_patient_of_a_contractors_draft_it_imported() {
    let mut command = draft(
        actor(Role::Operator),
        Application::New,
        Purpose::Subsidy,
        meets(),
    );
    if let FormAction::Draft { imported, .. } = &mut command.action {
        *imported = Some(Box::new(ImportOrigin {
            job: "job-1".into(),
            row: 2,
            external_ref: "C-1".into(),
            contractor: Some("委託業者A".into()),
        }));
    }
    let (state, _) = decide_ok(&ClinicalForm::default(), &command);
    let renamed = Patient {
        name_kanji: "山田 太朗".into(),
        ..patient()
    };
    let (state, _) = decide_ok(
        &state,
        &change_patient(actor(Role::Operator), None, renamed.clone()),
    );
    assert_eq!(state.patient, Some(renamed));
    // Not the operator's own drafts otherwise: a doctor's draft stays out of reach.
    let (doctors, _) = drafted();
    assert_eq!(
        doctors.decide(&change_patient(actor(Role::Operator), None, patient())),
        Err(FormError::NotFound)
    );
}

#[test]
fn a_correction_that_keeps_the_municipality_keeps_the_form_where_it_is() {
    // Drafted for a 熊本市 resident while 熊本市 was an implementing body; the list in force no
    // longer has it. A kana typo is still corrected (the municipality is not being set); a new
    // municipality is checked against the list in force, which places it with 熊本県.
    let kumamoto = Patient {
        municipality: gov("431010"),
        address: "熊本市中央区手取本町1-1".into(),
        ..patient()
    };
    let mut command = draft(
        actor(Role::DesignatedDoctor),
        Application::New,
        Purpose::Subsidy,
        meets(),
    );
    if let FormAction::Draft {
        patient,
        jurisdiction,
        ..
    } = &mut command.action
    {
        **patient = kumamoto.clone();
        *jurisdiction = gov("431001");
    }
    let (state, _) = decide_ok(&ClinicalForm::default(), &command);
    let without_city = std::sync::Arc::new(Municipalities {
        version: "later".into(),
        bodies: domain::municipality::shipped()
            .into_iter()
            .filter(|b| b.name != "熊本市")
            .collect(),
    });
    let correction = |patient: Patient| FormCommand {
        actor: actor(Role::DesignatedDoctor),
        reason: None,
        today: Some("2024-06-01".into()),
        action: FormAction::ChangePatient {
            patient: Box::new(patient),
            municipalities: without_city.clone(),
        },
    };
    decide_ok(
        &state,
        &correction(Patient {
            name_kana: "ヤマダ タロ".into(),
            ..kumamoto.clone()
        }),
    );
    assert!(matches!(
        state.decide(&correction(Patient {
            municipality: gov("431028"),
            ..kumamoto
        })),
        Err(FormError::Invalid(_))
    ));
}
