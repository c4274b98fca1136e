//! The 2025-04 edition (348 指定難病: 342–348 added, 63 and 154 renamed), published after the
//! 2024-04 one as its own master version: what a new form and an existing form use.

use crate::common::entered;
use domain::catalogue::shipped_editions;
use domain::judgment::{Outcome, Purpose};
use domain::master::{DiseaseMaster, PublishVersion};
use domain::{Aggregate, Program, Role};
use serde_json::json;

/// The shipped editions published in order, as start-up does, named v2024 and v2025.
fn published() -> DiseaseMaster {
    let mut master = DiseaseMaster::default();
    for (name, e) in ["v2024", "v2025"].iter().zip(shipped_editions()) {
        let events = master
            .decide(&PublishVersion {
                role: Role::System,
                version: (*name).into(),
                diseases: e.diseases,
            })
            .expect("each shipped edition publishes");
        master = events.iter().fold(master, |m, e| m.apply(e));
    }
    master
}

#[test]
fn the_2025_edition_adds_seven_and_renames_two_in_force_from_2025_04_01() {
    let editions = shipped_editions();
    assert_eq!(editions.len(), 2);
    assert_eq!(editions[1].effective_from.as_deref(), Some("2025-04-01"));
    let master = published();
    let nanbyo = |day| {
        master
            .in_force_on(day)
            .into_iter()
            .filter(|(_, d)| d.program == Program::Nanbyo)
            .count()
    };
    assert_eq!(nanbyo("2025-03-31"), 341);
    assert_eq!(nanbyo("2025-04-01"), 348);
    let name = |code, day| {
        master
            .find_on(Program::Nanbyo, code, "2024-04-01", day)
            .map(|(v, d)| (v.to_owned(), d.name_ja.clone()))
    };
    assert_eq!(
        name("63", "2025-03-31"),
        Some(("v2024".into(), "特発性血小板減少性紫斑病".into()))
    );
    assert_eq!(
        name("63", "2025-04-01"),
        Some(("v2025".into(), "免疫性血小板減少症".into()))
    );
    assert!(name("154", "2025-04-01").is_some_and(|(v, _)| v == "v2025"));
}

/// A form of disease 342 can only be started from 2025-04-01.
#[test]
fn a_form_of_disease_342_can_only_be_started_from_2025_04_01() {
    let master = published();
    assert_eq!(
        master.find_on(Program::Nanbyo, "342", "2024-04-01", "2025-03-31"),
        None,
        "the day before the edition takes effect"
    );
    let (version, d) = master
        .find_on(Program::Nanbyo, "342", "2024-04-01", "2025-04-01")
        .expect("from the day it takes effect");
    assert_eq!(
        (version, d.name_ja.as_str()),
        ("v2025", "LMNB1 関連大脳白質脳症")
    );
    assert_eq!(d.effective_from.as_deref(), Some("2025-04-01"));
}

/// A form started under 2024-04 keeps its version and its judgment after the 2025 edition is
/// published; a later fix of the 2024 edition still reaches it.
#[test]
fn a_form_started_under_2024_04_keeps_its_version_and_judgment() {
    let only_2024 = {
        let mut m = DiseaseMaster::default();
        let e = shipped_editions().remove(0);
        let events = m
            .decide(&PublishVersion {
                role: Role::System,
                version: "v2024".into(),
                diseases: e.diseases,
            })
            .expect("publishes");
        m = events.iter().fold(m, |m, e| m.apply(e));
        m
    };
    let items = entered(json!({"basic.onset_ym": "2023-01", "basic.diagnosis_ym": "2023-05"}));
    let (v, before) = only_2024
        .find_on(Program::Nanbyo, "63", "2024-04-01", "2025-03-31")
        .expect("63 in 2024");
    assert_eq!(v, "v2024");
    let judged = before.judge(&items, Purpose::Subsidy);

    let mut master = published();
    let (v, kept) = master
        .find_for_form(Program::Nanbyo, "63", "2024-04-01", Some("v2024"))
        .expect("the form's edition");
    assert_eq!(v, "v2024", "the form is not moved to the 2025 edition");
    assert_eq!(kept.name_ja, "特発性血小板減少性紫斑病");
    assert_eq!(kept.judge(&items, Purpose::Subsidy), judged);
    // 63 has encoded rules in the 2024 edition only (its 2025 criteria were not sourced): the
    // form keeps the 2024 rules, where a form started under the 2025 entry is judged by the
    // municipality.
    assert!(matches!(judged.outcome, Outcome::Undeterminable { .. }));
    let (_, entry_2025) = master
        .find_on(Program::Nanbyo, "63", "2024-04-01", "2025-04-01")
        .expect("63 in 2025");
    assert_eq!(
        entry_2025.judge(&items, Purpose::Subsidy).outcome,
        Outcome::Municipality
    );

    // A later release republishes the 2024 edition (a fix): the form follows the fix, still
    // not the 2025 edition.
    let mut fixed = shipped_editions().remove(0).diseases;
    fixed.retain(|d| d.program == Program::Nanbyo && d.code == "63");
    fixed[0].sources.push("修正".into());
    let events = master
        .decide(&PublishVersion {
            role: Role::System,
            version: "v2024-fix".into(),
            diseases: fixed,
        })
        .expect("publishes");
    master = events.iter().fold(master, |m, e| m.apply(e));
    let (v, d) = master
        .find_for_form(Program::Nanbyo, "63", "2024-04-01", Some("v2024"))
        .expect("the form's edition");
    assert_eq!(
        (v, d.name_ja.as_str()),
        ("v2024-fix", "特発性血小板減少性紫斑病")
    );
    // A new form started after 2025-04-01 takes the 2025 entry, whatever was published later.
    let (v, _) = master
        .find_on(Program::Nanbyo, "63", "2024-04-01", "2025-04-01")
        .expect("2025");
    assert_eq!(v, "v2025");
}
