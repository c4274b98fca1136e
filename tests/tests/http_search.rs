//! The form search over HTTP on both backends: filters, kana prefix and partial match, keyset
//! paging without gaps or repeats, a tampered or foreign page token refused, read-your-writes
//! with `after_position`, and the view rebuilt from the store gives the same answers.

mod support;

use api::provision::{Provisioner, Who};
use domain::Role;
use nanbyo_tests::Db;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use support::spawn_with_store;

const HOSPITAL: &str = "0110113719";

fn form(kana: &str, birth: &str, disease_items: bool) -> Value {
    let mut items = json!({"basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02"});
    if disease_items {
        items = json!({
            "basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02",
            "dx.parkinsonism": true, "dx.imaging_no_cause": true,
            "dx.no_drug_toxin_exposure": true, "dx.antiparkinson_response": true,
            "sev.hoehn_yahr": "3", "sev.daily_life_disability": "2"
        });
    }
    json!({
        "disease": "6", "application": "new", "purpose": "subsidy", "institution": HOSPITAL,
        "jurisdiction": "010006", "research_consent": true,
        "patient": {
            "name_kanji": "試験 患者", "name_kana": kana, "birth_date": birth, "sex": "female",
            "address": "小樽市花園2丁目", "municipality": "012025", "insurer_number": "01234567",
            "insured_symbol_number": "1・2", "recipient_number": null
        },
        "items": items
    })
}

async fn get(client: &Client, base: &str, token: &str, path: &str) -> (StatusCode, Value) {
    let r = client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = r.status();
    (status, r.json().await.expect("json"))
}

fn ids(page: &Value) -> Vec<String> {
    page["forms"]
        .as_array()
        .expect("forms")
        .iter()
        .map(|f| f["form_id"].as_str().expect("id").to_owned())
        .collect()
}

async fn search_filters_pages_and_survives_a_rebuild(db: Db) {
    let (base, _, store) = spawn_with_store(db).await;
    let accounts = Provisioner::new(store.clone());
    let client = Client::new();
    let operator = accounts.token(&Who::new(Role::Operator)).await.expect("op");
    let r = client
        .post(format!("{base}/api/masters/institutions"))
        .bearer_auth(&operator)
        .json(&json!({"code": HOSPITAL, "name": "札幌中央病院"}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::CREATED);
    let doctor = accounts
        .token(&Who::new(Role::DesignatedDoctor).at(HOSPITAL))
        .await
        .expect("doctor");
    let auditor = accounts
        .token(&Who::new(Role::Auditor))
        .await
        .expect("auditor");
    let staff = accounts
        .token(&Who::new(Role::MunicipalityStaff).of("010006"))
        .await
        .expect("staff");

    // 12 patients: 7 ヤマダ (complete forms: meets), 5 サトウ (incomplete: undeterminable).
    let mut created = vec![];
    let mut last_position = 0;
    for i in 0..12 {
        // Digits as kana (a kana reading takes none): 0 レ, 1 イ, 2 ニ …
        let digits: String = i
            .to_string()
            .chars()
            .map(|d| {
                "レイニサヨゴロナヤク"
                    .chars()
                    .nth(d as usize - '0' as usize)
                    .unwrap_or('レ')
            })
            .collect();
        let kana = if i < 7 {
            format!("ヤマダ ハナコ{digits}")
        } else {
            format!("サトウ ジロウ{digits}")
        };
        let r = client
            .post(format!("{base}/api/forms"))
            .bearer_auth(&doctor)
            .json(&form(&kana, &format!("1960-01-{:02}", i + 1), i < 7))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::CREATED);
        let body: Value = r.json().await.expect("json");
        created.push(body["id"].as_str().expect("id").to_owned());
        last_position = body["position"].as_u64().expect("position");
    }
    // Read-your-writes: the search waits for the view to reach the last command's position.
    let (status, all) = get(
        &client,
        &base,
        &doctor,
        &format!("/api/forms?limit=200&after_position={last_position}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let mut found = ids(&all);
    found.sort();
    let mut expected = created.clone();
    expected.sort();
    assert_eq!(found, expected);

    // Filters.
    let (_, yamada) = get(&client, &base, &doctor, "/api/forms?kana=ヤマダ&limit=200").await;
    assert_eq!(ids(&yamada).len(), 7, "{yamada}");
    let (_, partial) = get(
        &client,
        &base,
        &doctor,
        "/api/forms?kana_contains=ジロウイ&limit=200",
    )
    .await;
    assert_eq!(
        ids(&partial).len(),
        2,
        "ジロウイレ and ジロウイイ: {partial}"
    );
    let (_, meets) = get(
        &client,
        &base,
        &doctor,
        "/api/forms?outcome=meets&limit=200",
    )
    .await;
    assert_eq!(ids(&meets).len(), 7, "{meets}");
    // A disease whose criteria are not encoded (告示番号 1): judged by the municipality, found
    // under its own outcome and not among the incomplete forms.
    let mut unjudged = form("ヤマダ イチロウ", "1960-02-01", true);
    unjudged["disease"] = json!("1");
    unjudged["items"] = json!({"basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02"});
    let r = client
        .post(format!("{base}/api/forms"))
        .bearer_auth(&doctor)
        .json(&unjudged)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.expect("json");
    let unjudged_id = body["id"].as_str().expect("id").to_owned();
    let position = body["position"].as_u64().expect("position");
    let (status, municipality) = get(
        &client,
        &base,
        &doctor,
        &format!("/api/forms?outcome=municipality&after_position={position}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{municipality}");
    assert_eq!(ids(&municipality), vec![unjudged_id.clone()]);
    let (_, incomplete) = get(
        &client,
        &base,
        &doctor,
        "/api/forms?outcome=undeterminable&limit=200",
    )
    .await;
    assert_eq!(ids(&incomplete).len(), 5, "{incomplete}");
    expected.push(unjudged_id);
    expected.sort();
    let (_, born) = get(&client, &base, &doctor, "/api/forms?birth_date=1960-01-03").await;
    assert_eq!(ids(&born), vec![created[2].clone()]);
    // Municipality users see no drafts.
    let (status, none) = get(&client, &base, &staff, "/api/forms").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ids(&none).is_empty(), "{none}");

    // Keyset paging: every form once, in order, whatever the page size.
    for sort in ["updated_desc", "updated_asc", "kana_asc"] {
        let mut seen = vec![];
        let mut path = format!("/api/forms?sort={sort}&limit=5");
        let mut pages = 0;
        loop {
            let (status, page) = get(&client, &base, &auditor, &path).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            seen.extend(ids(&page));
            pages += 1;
            match page["next_page_token"].as_str() {
                Some(t) => path = format!("/api/forms?sort={sort}&limit=5&page_token={t}"),
                None => break,
            }
        }
        assert_eq!(pages, 3, "{sort}");
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, expected, "{sort}: every form exactly once");
        if sort == "kana_asc" {
            let (_, first) =
                get(&client, &base, &auditor, "/api/forms?sort=kana_asc&limit=1").await;
            assert!(first["forms"][0]["kana"]
                .as_str()
                .unwrap()
                .starts_with("サトウ"));
        }
    }

    // A page token changed by hand, or used with other filters, is refused.
    let (_, page) = get(&client, &base, &auditor, "/api/forms?limit=5").await;
    let token = page["next_page_token"].as_str().expect("token").to_owned();
    let mut tampered = token.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let (status, body) = get(
        &client,
        &base,
        &auditor,
        &format!("/api/forms?limit=5&page_token={tampered}"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_page_token");
    let (status, body) = get(
        &client,
        &base,
        &auditor,
        &format!("/api/forms?limit=5&kana=ヤ&page_token={token}"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "page_token_mismatch");
    let (status, body) = get(
        &client,
        &base,
        &doctor,
        &format!("/api/forms?limit=5&page_token={token}"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "another account's token: {body}"
    );

    // Bad filters: 400 with a code, never a 5xx.
    for q in [
        "status=lost",
        "outcome=maybe",
        "limit=0",
        "limit=201",
        "birth_date=1960-13-01",
        "updated_from=yesterday",
        "sort=random",
        "kana=%20",
        "unknown=1",
        "updated_from=2026-01-02T00:00:00Z&updated_to=2026-01-01T00:00:00Z",
    ] {
        let (status, body) = get(&client, &base, &doctor, &format!("/api/forms?{q}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {body}");
        assert_eq!(body["code"], "invalid_query", "{q}");
    }

    // The view rebuilt from the store answers the same.
    let before = get(
        &client,
        &base,
        &auditor,
        "/api/forms?sort=kana_asc&limit=200",
    )
    .await
    .1;
    let rebuilt = projections::rebuild(&store, &projections::forms::FormSearch, |_, _| {})
        .await
        .expect("rebuild");
    assert!(rebuilt.events > 0);
    let after = get(
        &client,
        &base,
        &auditor,
        "/api/forms?sort=kana_asc&limit=200",
    )
    .await
    .1;
    assert_eq!(before["forms"], after["forms"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_search_filters_pages_and_survives_a_rebuild() {
    search_filters_pages_and_survives_a_rebuild(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_search_filters_pages_and_survives_a_rebuild() {
    search_filters_pages_and_survives_a_rebuild(Db::Sqlite).await;
}
