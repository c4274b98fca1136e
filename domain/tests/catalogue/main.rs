//! The shipped catalogue, in one test binary: every disease of the lists is present and
//! composed with the shared layout, a disease without encoded criteria is judged by the
//! municipality, and each disease with encoded criteria has its table test (one module each).

#[path = "../common/mod.rs"]
mod common;

mod editions;
mod masters;
mod nanbyo_002_als;
mod nanbyo_005_progressive_supranuclear_palsy;
mod nanbyo_006_parkinson;
mod nanbyo_010_charcot_marie_tooth_disease;
mod nanbyo_011_myasthenia_gravis;
mod nanbyo_013_multiple_sclerosis;
mod nanbyo_014_chronic_inflammatory_demyelinating_polyneuropathy;
mod nanbyo_017_multiple_system_atrophy;
mod nanbyo_018_spinocerebellar_degeneration;
mod nanbyo_022_moyamoya_disease;
mod nanbyo_035_pemphigus;
mod nanbyo_040_takayasu_arteritis;
mod nanbyo_042_polyarteritis_nodosa;
mod nanbyo_043_microscopic_polyangiitis;
mod nanbyo_046_malignant_rheumatoid_arthritis;
mod nanbyo_047_buerger_disease;
mod nanbyo_048_primary_antiphospholipid_syndrome;
mod nanbyo_049_systemic_lupus_erythematosus;
mod nanbyo_050_dermatomyositis_polymyositis;
mod nanbyo_051_systemic_sclerosis;
mod nanbyo_052_mixed_connective_tissue_disease;
mod nanbyo_053_sjogren_syndrome;
mod nanbyo_056_behcet;
mod nanbyo_057_idiopathic_dilated_cardiomyopathy;
mod nanbyo_058_hypertrophic_cardiomyopathy;
mod nanbyo_060_aplastic_anemia;
mod nanbyo_063_idiopathic_thrombocytopenic_purpura;
mod nanbyo_066_iga_nephropathy;
mod nanbyo_067_polycystic_kidney_disease;
mod nanbyo_069_ossification_of_posterior_longitudinal_ligament;
mod nanbyo_070_extensive_spinal_canal_stenosis;
mod nanbyo_071_idiopathic_osteonecrosis_of_the_femoral_head;
mod nanbyo_084_sarcoidosis;
mod nanbyo_085_idiopathic_interstitial_pneumonias;
mod nanbyo_090_retinitis_pigmentosa;
mod nanbyo_093_primary_biliary_cholangitis;
mod nanbyo_095_autoimmune_hepatitis;
mod nanbyo_096_crohn;
mod nanbyo_097_ulcerative_colitis;
mod nanbyo_098_eosinophilic_gastrointestinal_disorders;
mod nanbyo_105_charge_syndrome;
mod nanbyo_107_juvenile_idiopathic_arthritis;
mod nanbyo_113_muscular_dystrophy;
mod nanbyo_127_frontotemporal_lobar_degeneration;
mod nanbyo_129_acute_encephalopathy_with_biphasic_seizures;
mod nanbyo_141_mesial_temporal_lobe_epilepsy_with_hippocampal_sclerosis;
mod nanbyo_158_tuberous_sclerosis_complex;
mod nanbyo_162_pemphigoid;
mod nanbyo_164_oculocutaneous_albinism;
mod nanbyo_168_ehlers_danlos_syndrome;
mod nanbyo_179_williams_syndrome;
mod nanbyo_220_rapidly_progressive_glomerulonephritis;
mod nanbyo_222_primary_nephrotic_syndrome;
mod nanbyo_227_hereditary_hemorrhagic_telangiectasia;
mod nanbyo_256_muscle_glycogen_storage_disease;
mod nanbyo_271_ankylosing_spondylitis;
mod nanbyo_274_osteogenesis_imperfecta;
mod nanbyo_276_achondroplasia;
mod nanbyo_291_hirschsprung_disease;
mod nanbyo_294_congenital_diaphragmatic_hernia;
mod nanbyo_300_igg4_related_disease;
mod nanbyo_303_usher_syndrome;
mod nanbyo_305_delayed_endolymphatic_hydrops;
mod nanbyo_306_eosinophilic_chronic_rhinosinusitis;
mod nanbyo_328_anterior_segment_dysgenesis;
mod shoman_11_60_west_syndrome;
mod shoman_12_16_biliary_atresia;
mod shoman_14_1_oculocutaneous_albinism;
mod shoman_15_3_osteogenesis_imperfecta;
mod shoman_2_24_minimal_change_nephrotic_syndrome;
mod shoman_3_5_bronchial_asthma;
mod shoman_5_46_gh_deficiency_organic;
mod shoman_7_6_type_2_diabetes;

use std::collections::BTreeSet;

use common::{entered, form};
use domain::catalogue::{layout, shipped_editions, unlisted_disease_files};
use domain::disease::shipped;
use domain::judgment::{Criterion, Outcome, Purpose};
use domain::Program;
use serde_json::json;

#[test]
fn every_designated_disease_of_2024_04_is_present_once() {
    let all = shipped();
    let nanbyo: Vec<u32> = all
        .iter()
        .filter(|d| d.program == Program::Nanbyo)
        .map(|d| d.code.parse().expect("a 告示番号"))
        .collect();
    assert_eq!(nanbyo, (1..=341).collect::<Vec<u32>>());
    assert_eq!(form(Program::Nanbyo, "341").name_ja, "ＴＲＰＶ４異常症");
    assert_eq!(form(Program::Nanbyo, "1").name_ja, "球脊髄性筋萎縮症");
}

#[test]
fn the_whole_shoman_list_is_present_by_group_and_number() {
    let shoman: Vec<_> = shipped()
        .into_iter()
        .filter(|d| d.program == Program::Shoman)
        .collect();
    // 1,025 names of the 2020 list under 807 distinct (疾患群, 告示番号).
    assert_eq!(shoman.len(), 807);
    let codes: BTreeSet<&str> = shoman.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes.len(), shoman.len(), "codes are unique");
    let groups: BTreeSet<u32> = shoman
        .iter()
        .map(|d| {
            d.code
                .split('-')
                .next()
                .and_then(|g| g.parse().ok())
                .expect("group")
        })
        .collect();
    assert_eq!(groups, (1..=15).collect());
    assert!(shoman.iter().all(|d| d.disease_group.is_some()));
    // The shipped codes win over the 2020 numbering; the name the 2020 list gives under another
    // number is an alias, and the disease its number now names keeps a marked code.
    let mcns = form(Program::Shoman, "2-24");
    assert_eq!(mcns.name_ja, "微小変化型ネフローゼ症候群");
    assert!(mcns.has_rules());
    assert!(!codes.contains("2-21"));
    assert_eq!(form(Program::Shoman, "2-24-2020").name_ja, "膜性腎症");
    // Names listed under one number are found as aliases of the first.
    assert!(form(Program::Shoman, "5-46")
        .aliases
        .contains(&"特発性成長ホルモン分泌不全性低身長症".to_owned()));
}

#[test]
fn every_disease_is_the_shared_layout_followed_by_its_own_items() {
    let layout = layout("2024-04-01").expect("the 2024-04-01 layout");
    let common_ids: Vec<&str> = layout.items.iter().map(|i| i.id.as_str()).collect();
    for edition in shipped_editions() {
        for d in &edition.diseases {
            assert_eq!(d.validate(), Ok(()), "{} {}", d.program, d.code);
            assert!(!d.sources.is_empty(), "{} {} is sourced", d.program, d.code);
            assert_eq!(d.layout.as_deref(), Some("2024-04-01"));
            let ids: Vec<&str> = d.items.iter().map(|i| i.id.as_str()).collect();
            assert_eq!(&ids[..common_ids.len()], &common_ids[..], "{}", d.code);
            assert!(d
                .rules
                .consistency
                .iter()
                .any(|r| r.id == "onset_after_diagnosis"));
        }
    }
    assert_eq!(unlisted_disease_files(), Vec::<String>::new());
}

#[test]
fn the_layout_has_the_sections_of_the_2024_04_form_in_order() {
    let layout = layout("2024-04-01").expect("layout");
    let labels: Vec<&str> = layout
        .sections
        .iter()
        .map(|s| s.label_ja.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "患者情報",
            "基本情報",
            "診断基準に関する事項",
            "症状の概要、経過、特記すべき事項など",
            "治療その他",
            "重症度分類に関する事項",
            "医療機関名",
            "同意・その他"
        ]
    );
}

/// A disease without encoded criteria is judged by the municipality: a distinct outcome, not an
/// incomplete form; the layout's consistency and type checks still apply.
#[test]
fn a_disease_without_rules_is_judged_by_the_municipality_with_its_consistency_checked() {
    let d = form(Program::Nanbyo, "1");
    assert!(!d.has_rules());
    let complete = entered(json!({"basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02"}));
    let j = d.judge(&complete, Purpose::Subsidy);
    assert_eq!(j.outcome, Outcome::Municipality);
    assert_eq!(
        (j.diagnosis, j.severity),
        (Criterion::NotJudged, Criterion::NotJudged)
    );
    assert_eq!(j.errors, vec![]);
    assert_eq!(
        serde_json::to_value(&j).expect("json")["outcome"],
        "municipality"
    );
    let empty = d.judge(&entered(json!({})), Purpose::Subsidy);
    assert_eq!(empty.outcome, Outcome::Municipality, "never undeterminable");
    let codes: Vec<&str> = empty.errors.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes, ["required", "required"], "onset and diagnosis dates");
    let late_onset = entered(json!({"basic.onset_ym": "2021-01", "basic.diagnosis_ym": "2020-02"}));
    let j = d.judge(&late_onset, Purpose::RegistrantCertificateOnly);
    assert_eq!(j.outcome, Outcome::Municipality);
    let codes: Vec<&str> = j.errors.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes, ["onset_after_diagnosis"]);
    let ventilator = entered(json!({
        "basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02",
        "treatment.ventilator": "1", "treatment.ventilator_start_ym": "2019-01"
    }));
    let codes: Vec<String> = d
        .judge(&ventilator, Purpose::Subsidy)
        .errors
        .into_iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(
        codes,
        ["required", "ventilator_before_onset"],
        "weaning required, start before onset"
    );
    let wrong = entered(json!({"basic.onset_ym": "2019-13", "basic.diagnosis_ym": "2020-02"}));
    let codes: Vec<String> = d
        .judge(&wrong, Purpose::Subsidy)
        .errors
        .into_iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(codes, ["invalid_type"]);
}
