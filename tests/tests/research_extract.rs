//! Research extracts (SPEC 12) end to end, over HTTP as an operator would ask for them: forms
//! are made with known identifiers (names, kana, birth dates, addresses, insurer numbers,
//! recipient numbers, access keys, free-text items and remarks), and every byte that leaves —
//! the CSV, the Parquet file (raw and decoded), the HTTP answers and the recorded event — is
//! scanned for them. Then: who is in an extract and who is not, the pseudonym's stability, and
//! bad requests that must append nothing and write nothing; and that nothing of an extract can be
//! joined to the events on NATS (the relay runs against the real nats-server).

use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::path::PathBuf;
use std::sync::Arc;

use api::config::ServeArgs;
use api::provision::{Provisioner, Who};
use api::startup::Application;
use domain::form::Patient;
use domain::{Program, Role};
use eventstore::{EventStore, ExpectedVersion, Metadata, NewEvent, StreamId};
use nanbyo_tests::{fresh_store, Db};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

mod relay_support;

const HOSPITAL: &str = "0110113719";
const HOKKAIDO: &str = "010006";
/// The shipped Parkinson master (告示番号 6), composed with the shared layout.
fn parkinson() -> Value {
    serde_json::to_value(
        domain::disease::shipped()
            .into_iter()
            .find(|d| d.program == domain::Program::Nanbyo && d.code == "6")
            .expect("6 is shipped"),
    )
    .expect("json")
}

struct Env {
    base: String,
    client: Client,
    store: Arc<dyn EventStore>,
    accounts: Provisioner,
    data_dir: PathBuf,
    operator: String,
    doctor: String,
    staff: String,
}

/// One generated patient and everything that identifies them.
#[derive(Debug, Clone)]
struct Person {
    patient: Value,
    /// Free text entered in the form (and in a later edit or correction).
    free_text: Vec<String>,
    n: u32,
    remarks: Vec<String>,
    /// 受給者番号 recorded in the 行政記載欄.
    recipient_numbers: Vec<String>,
    access_keys: Vec<String>,
    form_ids: Vec<String>,
}

impl Person {
    fn key(&self) -> String {
        let p: Patient = serde_json::from_value(self.patient.clone()).expect("patient");
        p.key(Program::Nanbyo)
    }

    /// Every string that would identify this person if it left in an extract.
    fn identifiers(&self) -> Vec<String> {
        let p = &self.patient;
        let s = |k: &str| p[k].as_str().map(str::to_owned);
        let mut out: Vec<String> = [
            "name_kanji",
            "name_kana",
            "birth_date",
            "address",
            "insurer_number",
            "insured_symbol_number",
            "recipient_number",
        ]
        .iter()
        .filter_map(|k| s(k))
        .collect();
        let kana = s("name_kana").unwrap_or_default();
        out.push(kana.replace(' ', ""));
        let birth = s("birth_date").unwrap_or_default();
        out.push(birth.replace('-', ""));
        out.push(birth.replace('-', "/"));
        out.extend(self.free_text.iter().cloned());
        out.extend(self.remarks.iter().cloned());
        out.extend(self.recipient_numbers.iter().cloned());
        out.extend(self.access_keys.iter().cloned());
        out.push(self.key());
        // The form id is no personal data, but it would let anyone with access to the
        // registry find the patient again: it does not leave either.
        out.extend(self.form_ids.iter().cloned());
        out
    }
}

/// A recipient number (6 digits + check digit).
fn recipient(body: u32) -> String {
    domain::codes::append_check_digit(&format!("{body:06}"))
}

/// `n` in kanji numerals (names take no digits).
fn kanji_number(n: u32) -> String {
    n.to_string()
        .chars()
        .map(|d| {
            "〇一二三四五六七八九"
                .chars()
                .nth(d as usize - '0' as usize)
                .unwrap_or('〇')
        })
        .collect()
}

/// The marker and `n` as a kana reading: one katakana per stem and per digit.
fn kana_of(marker: &str, n: u32) -> String {
    let stems = "甲乙丙丁戊己庚辛壬癸";
    let stem_kana = "カキクケコサシスセソ";
    let marker: String = marker
        .chars()
        .map(|c| {
            stems
                .chars()
                .position(|s| s == c)
                .and_then(|i| stem_kana.chars().nth(i))
                .unwrap_or('ア')
        })
        .collect();
    let digits: String = n
        .to_string()
        .chars()
        .map(|d| {
            "レイニサヨゴロナヤク"
                .chars()
                .nth(d as usize - '0' as usize)
                .unwrap_or('レ')
        })
        .collect();
    format!("{marker}{digits}")
}

fn person(n: u32, consent_marker: &str) -> Person {
    Person {
        patient: json!({
            "name_kanji": format!("研究{consent_marker}{} 太郎", kanji_number(n)),
            "name_kana": format!("ケンキュウ{} タロウ", kana_of(consent_marker, n)),
            "birth_date": format!("19{:02}-0{}-{:02}", 40 + n, 1 + n % 9, 10 + n),
            "sex": if n.is_multiple_of(2) { "male" } else { "female" },
            "address": format!("小樽市研究町{n}丁目{n}番地の{consent_marker}"),
            "municipality": "012025",
            "insurer_number": format!("39{:06}", 271_800 + n),
            "insured_symbol_number": format!("記号{n}・番号{consent_marker}{n}"),
            "recipient_number": recipient(830_100 + n),
        }),
        free_text: vec![format!("自由記載{consent_marker}{n}：家族歴あり")],
        n,
        remarks: vec![],
        recipient_numbers: vec![],
        access_keys: vec![],
        form_ids: vec![],
    }
}

impl Env {
    async fn new(db: Db) -> Env {
        Env::start(db, None).await
    }

    /// As [`Env::new`], also relaying every event to JetStream with `nats` (the relay's
    /// pseudonym key is the one of the data directory, as in production).
    async fn start(db: Db, nats: Option<api::nats::NatsSettings>) -> Env {
        let (store, _url) = fresh_store(db).await;
        let data_dir =
            std::env::temp_dir().join(format!("nanbyo-research-{}", uuid::Uuid::new_v4().simple()));
        let app = Application::bind(
            &ServeArgs {
                listen: "127.0.0.1:0".parse().expect("addr"),
                skip_migrations: false,
                no_projections: false,
                secure_cookies: false,
                demo: false,
            },
            store.clone(),
        )
        .await
        .expect("bind")
        .with_data_dir(data_dir.clone())
        .with_nats(nats, data_dir.clone());
        let base = format!("http://{}", app.local_addr());
        tokio::spawn(app.run_until_stopped(std::future::pending()).into_future());
        let accounts = Provisioner::new(store.clone());
        let operator = accounts
            .token(&Who::new(Role::Operator))
            .await
            .expect("operator");
        let mut env = Env {
            base,
            client: Client::new(),
            store,
            accounts,
            data_dir,
            operator,
            doctor: String::new(),
            staff: String::new(),
        };
        env.ok(
            "/api/masters/institutions",
            &env.operator.clone(),
            json!({"code": HOSPITAL, "name": "札幌中央病院"}),
            201,
        )
        .await;
        env.doctor = env
            .accounts
            .token(&Who::new(Role::DesignatedDoctor).at(HOSPITAL))
            .await
            .expect("doctor");
        env.staff = env
            .accounts
            .token(&Who::new(Role::MunicipalityStaff).of(HOKKAIDO))
            .await
            .expect("staff");
        // A master version whose Parkinson form has a free-text item, as real forms do.
        let mut disease: Value = parkinson();
        disease["items"].as_array_mut().expect("items").push(json!({
            "id": "free.clinical_note", "label_ja": "臨床所見（自由記載）", "type": "text",
            "max_chars": 500, "unit": null, "section": "findings", "required": {"rule": "optional"}
        }));
        env.ok(
            "/api/masters/versions",
            &env.operator.clone(),
            json!({"version": "research-test-1", "diseases": [disease]}),
            201,
        )
        .await;
        env
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, Vec<u8>) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request");
        let status = r.status();
        let bytes = r.bytes().await.expect("body").to_vec();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value, bytes)
    }

    async fn ok(&self, path: &str, token: &str, body: Value, want: u16) -> Value {
        let (status, value, _) = self
            .call(reqwest::Method::POST, path, token, Some(body))
            .await;
        assert_eq!(status.as_u16(), want, "POST {path}: {value}");
        value
    }

    async fn events(&self) -> i64 {
        let sql = self.store.sql();
        eventstore::on_sql!(&sql, reader, |p| {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events")
                .fetch_one(p)
                .await
        })
        .expect("count events")
    }

    /// A Parkinson form (or another disease's) of `who`, taken as far as `stage`: 0 draft,
    /// 1 submitted, 2 received (with 行政記載欄 and a corrected free text), 3 certified,
    /// 4 withdrawn after submission.
    async fn form(&self, who: &mut Person, consent: bool, disease: &str, stage: u8) -> String {
        let mut items = json!({
            "basic.onset_ym": "2019-06", "basic.diagnosis_ym": "2020-02",
            "dx.parkinsonism": true, "dx.imaging_no_cause": true,
            "dx.no_drug_toxin_exposure": true, "dx.antiparkinson_response": true,
            "sev.hoehn_yahr": "3", "sev.daily_life_disability": "2",
            "free.clinical_note": who.free_text[0],
        });
        if disease != "6" {
            items = json!({"basic.onset_ym": "2019-06"});
        }
        let created = self
            .ok(
                "/api/forms",
                &self.doctor,
                json!({
                    "disease": disease, "application": "new", "purpose": "subsidy",
                    "institution": HOSPITAL, "jurisdiction": HOKKAIDO,
                    "research_consent": consent, "patient": who.patient, "items": items
                }),
                201,
            )
            .await;
        let id = created["id"].as_str().expect("id").to_owned();
        who.form_ids.push(id.clone());
        if disease == "6" {
            // An edit of the free text: ItemsEdited carries it too.
            let edited = format!("{}（追記）", who.free_text[0]);
            self.ok(
                &format!("/api/forms/{id}/items"),
                &self.doctor,
                json!({"items": {"free.clinical_note": edited}}),
                200,
            )
            .await;
            who.free_text.push(edited);
        }
        if stage == 0 {
            return id;
        }
        self.ok(
            &format!("/api/forms/{id}/submit"),
            &self.doctor,
            json!({}),
            200,
        )
        .await;
        let (_, seen, _) = self
            .call(
                reqwest::Method::GET,
                &format!("/api/forms/{id}"),
                &self.doctor,
                None,
            )
            .await;
        let key = seen["access_key"].as_str().expect("access key").to_owned();
        who.access_keys.push(key.clone());
        if stage == 4 {
            self.ok(
                &format!("/api/forms/{id}/withdraw"),
                &self.doctor,
                json!({"reason": "患者の申請取り下げ"}),
                200,
            )
            .await;
            return id;
        }
        if stage == 1 {
            return id;
        }
        self.ok(
            &format!("/api/forms/{id}/receive"),
            &self.staff,
            json!({"access_key": key}),
            200,
        )
        .await;
        let number = recipient(720_000 + who.n * 10 + who.form_ids.len() as u32);
        let remarks = format!("備考：{}様は窓口で確認済", who.patient["name_kanji"]);
        self.ok(
            &format!("/api/forms/{id}/administrative"),
            &self.staff,
            json!({"fields": {"recipient_number": number, "remarks": remarks,
                              "application_date": "2024-05-10"}}),
            200,
        )
        .await;
        who.recipient_numbers.push(number);
        who.remarks.push(remarks);
        if disease == "6" {
            let corrected = format!("{}（自治体訂正）", who.free_text[0]);
            self.ok(
                &format!("/api/forms/{id}/corrections"),
                &self.staff,
                json!({"items": {"free.clinical_note": corrected}, "reason": "転記誤りの訂正"}),
                200,
            )
            .await;
            who.free_text.push(corrected);
        }
        if stage >= 3 {
            self.ok(
                &format!("/api/forms/{id}/review"),
                &self.staff,
                json!({"result": {"result": "certified", "from": "2024-05-01", "to": "2025-04-30"}}),
                200,
            )
            .await;
        }
        id
    }

    /// Asks for an extract as the operator; the answer's body.
    async fn extract(&self, body: Value) -> Value {
        self.ok("/api/research/extracts", &self.operator, body, 201)
            .await
    }

    async fn download(&self, id: &str, format: &str) -> (Vec<u8>, String) {
        let r = self
            .client
            .get(format!("{}/api/research/extracts/{id}/{format}", self.base))
            .bearer_auth(&self.operator)
            .send()
            .await
            .expect("download");
        assert_eq!(r.status(), StatusCode::OK, "download {format}");
        let digest = r
            .headers()
            .get("x-content-sha256")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (r.bytes().await.expect("bytes").to_vec(), digest)
    }

    /// The payload and metadata of the recorded extract event, as stored.
    async fn recorded(&self, id: &str) -> Vec<eventstore::RecordedEvent> {
        let stream = StreamId::new("research_extract", id).expect("stream");
        self.store.read_stream(&stream, 1).await.expect("read")
    }

    fn extract_files(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.data_dir.join("research")) {
            Ok(dir) => dir.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
            Err(_) => vec![],
        }
    }
}

/// The rows of a CSV extract, column name → value.
fn csv_rows(bytes: &[u8]) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().expect("headers").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// Every value of a Parquet extract, decoded (pages decompressed), row by row, plus the
/// schema's field names and the file's key-value metadata.
fn parquet_rows(bytes: &[u8]) -> (Vec<BTreeMap<String, String>>, Vec<String>) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let path = std::env::temp_dir().join(format!("nanbyo-pq-{}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, bytes).expect("write");
    let reader = SerializedFileReader::new(std::fs::File::open(&path).expect("open")).expect("pq");
    let meta = reader.metadata().file_metadata();
    let mut extra: Vec<String> = meta
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    for kv in meta.key_value_metadata().into_iter().flatten() {
        extra.push(format!(
            "{}={}",
            kv.key,
            kv.value.clone().unwrap_or_default()
        ));
    }
    extra.extend(meta.created_by().map(str::to_owned));
    let rows = reader
        .get_row_iter(None)
        .expect("rows")
        .map(|row| {
            row.expect("row")
                .get_column_iter()
                .map(|(name, field)| {
                    let text = match field {
                        Field::Str(s) => s.clone(),
                        Field::Null => String::new(),
                        other => other.to_string(),
                    };
                    (name.clone(), text)
                })
                .collect()
        })
        .collect();
    let _ = std::fs::remove_file(&path);
    (rows, extra)
}

fn find(haystack: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    !n.is_empty() && haystack.windows(n.len()).any(|w| w == n)
}

/// Fails naming what leaked where.
fn assert_clean(what: &str, bytes: &[u8], people: &[Person]) {
    for p in people {
        for id in p.identifiers() {
            assert!(!find(bytes, &id), "{what} contains the identifier {id:?}");
        }
    }
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The people and forms both checks work on.
struct Cohort {
    /// Consenting, certified, with a second (submitted) form: in every extract.
    repeat: Person,
    /// Consenting, received (not certified): in extracts without --certified-only.
    received: Person,
    /// Consenting, but the form is another disease's.
    other_disease: Person,
    /// Did not consent: never in an extract, though certified.
    refused: Person,
    /// Consenting, but the form is still a draft.
    draft: Person,
    /// Consenting, but the form was withdrawn.
    withdrawn: Person,
}

impl Cohort {
    fn all(&self) -> Vec<Person> {
        vec![
            self.repeat.clone(),
            self.received.clone(),
            self.other_disease.clone(),
            self.refused.clone(),
            self.draft.clone(),
            self.withdrawn.clone(),
        ]
    }
}

async fn cohort(env: &Env) -> Cohort {
    let mut repeat = person(1, "甲");
    env.form(&mut repeat, true, "6", 3).await;
    env.form(&mut repeat, true, "6", 1).await;
    let mut received = person(2, "乙");
    env.form(&mut received, true, "6", 2).await;
    let mut other_disease = person(3, "丙");
    env.form(&mut other_disease, true, "11", 3).await;
    let mut refused = person(4, "丁");
    env.form(&mut refused, false, "6", 3).await;
    let mut draft = person(5, "戊");
    env.form(&mut draft, true, "6", 0).await;
    let mut withdrawn = person(6, "己");
    env.form(&mut withdrawn, true, "6", 4).await;
    Cohort {
        repeat,
        received,
        other_disease,
        refused,
        draft,
        withdrawn,
    }
}

/// The linkage id (履歴照会・回答) of a patient, as the linkage records it.
async fn assign_linkage(store: &Arc<dyn EventStore>, patient_key: &str, linkage: &str) {
    let stream = StreamId::new("patient", patient_key).expect("stream");
    let event = NewEvent {
        event_id: uuid::Uuid::now_v7(),
        event_type: "LinkageIdAssigned".into(),
        schema_version: 1,
        payload: json!({"request_id": "research-test-1", "linkage_id": linkage}),
        metadata: Metadata::new("system", Role::System, Some(Program::Nanbyo)),
    };
    store
        .append(&stream, ExpectedVersion::Any, vec![event], None)
        .await
        .expect("append linkage");
}

async fn every_output_byte_is_free_of_identifiers(db: Db) {
    let env = Env::new(db).await;
    let c = cohort(&env).await;
    let people = c.all();
    let before = env.events().await;
    let answer = env
        .extract(json!({
            "purpose": "パーキンソン病の重症度分布に関する研究",
            "approval": "IRB-2026-0042",
        }))
        .await;
    assert_eq!(
        env.events().await,
        before + 1,
        "one event records the extract"
    );
    let id = answer["id"].as_str().expect("id");
    assert_clean("the HTTP answer", answer.to_string().as_bytes(), &people);

    let (csv, csv_digest) = env.download(id, "csv").await;
    let (pq, pq_digest) = env.download(id, "parquet").await;
    assert!(std::str::from_utf8(&csv).is_ok(), "the CSV is UTF-8");
    assert!(
        pq.starts_with(b"PAR1") && pq.ends_with(b"PAR1"),
        "a Parquet file"
    );
    assert_clean("the CSV file", &csv, &people);
    assert_clean("the Parquet file", &pq, &people);
    let (rows, extra) = parquet_rows(&pq);
    let decoded: String = rows
        .iter()
        .flat_map(|r| r.iter().map(|(k, v)| format!("{k}={v}\n")))
        .chain(extra)
        .collect();
    assert_clean("the decoded Parquet values", decoded.as_bytes(), &people);
    // The files on the server are the ones downloaded.
    for (format, bytes) in [("csv", &csv), ("parquet", &pq)] {
        let local = std::fs::read(env.data_dir.join("research").join(format!("{id}.{format}")))
            .expect("file on the server");
        assert_eq!(&local, bytes, "{format} on disk");
        assert_clean(&format!("the {format} file on disk"), &local, &people);
    }

    // The event: its payload, its metadata, and the digests it recorded.
    let events = env.recorded(id).await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.event_type, "ResearchExtractRecorded");
    let stored = format!("{} {:?}", e.payload, e.metadata);
    assert_clean("the recorded event", stored.as_bytes(), &people);
    assert_eq!(e.payload["rows"], json!(rows.len()));
    assert_eq!(
        e.payload["purpose"],
        json!("パーキンソン病の重症度分布に関する研究")
    );
    assert_eq!(e.payload["approval"], json!("IRB-2026-0042"));
    assert_eq!(e.metadata.role, Role::Operator);
    let digest = |format: &str| {
        e.payload["files"]
            .as_array()
            .expect("files")
            .iter()
            .find(|f| f["format"] == json!(format))
            .and_then(|f| f["sha256"].as_str())
            .expect("digest")
            .to_owned()
    };
    assert_eq!(digest("csv"), sha256(&csv));
    assert_eq!(digest("parquet"), sha256(&pq));
    assert_eq!(csv_digest, sha256(&csv));
    assert_eq!(pq_digest, sha256(&pq));

    // And the extract is not empty: the scan looked at real rows with real items.
    let csv = csv_rows(&csv);
    assert_eq!(csv.len(), rows.len());
    assert_eq!(csv.len(), 4, "{csv:?}");
    for r in &csv {
        let items: Value = serde_json::from_str(&r["items"]).expect("items JSON");
        assert!(items.get("free.clinical_note").is_none(), "{items}");
        if r["disease"] == "6" {
            assert_eq!(items["sev.hoehn_yahr"], json!("3"), "{items}");
        }
    }
}

async fn only_consenting_forms_in_the_filter_under_a_stable_pseudonym(db: Db) {
    let env = Env::new(db).await;
    let c = cohort(&env).await;
    assign_linkage(&env.store, &c.repeat.key(), "LNK-0000-RESEARCH-1").await;
    let today = commands::forms::today_in_japan();
    let first = env
        .extract(json!({
            "purpose": "研究A", "approval": "IRB-A", "diseases": ["6"],
            "from": "2024-04-01", "to": today,
        }))
        .await;
    let id = first["id"].as_str().expect("id");
    let (csv, _) = env.download(id, "csv").await;
    let rows = csv_rows(&csv);
    // The research key of the data directory, re-keyed per approved study.
    let key = commands::secrets::research_key_file(&env.data_dir.join("research.key"))
        .expect("research key");
    let in_study =
        |approval: &str, p: &Person| key.study(Program::Nanbyo, approval).pseudonym(&p.key());
    let pseudonym = |p: &Person| in_study("IRB-A", p);

    // In: the consenting patients' submitted, received and certified Parkinson forms.
    let mut seen: Vec<String> = rows.iter().map(|r| r["pseudonym"].clone()).collect();
    seen.sort();
    let mut expected = vec![
        pseudonym(&c.repeat),
        pseudonym(&c.repeat),
        pseudonym(&c.received),
    ];
    expected.sort();
    assert_eq!(seen, expected, "{rows:?}");
    // Out: no consent, another disease, a draft, a withdrawn form.
    for p in [&c.refused, &c.other_disease, &c.draft, &c.withdrawn] {
        assert!(
            !rows.iter().any(|r| r["pseudonym"] == pseudonym(p)),
            "{p:?} is in the extract"
        );
    }
    // The pseudonym is not the plain key, and the linkage id is there where known.
    for r in &rows {
        assert_ne!(r["pseudonym"], c.repeat.key());
        assert_ne!(r["pseudonym"], c.received.key());
        assert_eq!(r["pseudonym"].len(), 32);
        assert_eq!(r["disease"], "6");
        assert_eq!(r["prefecture"], "01");
        let linkage = if r["pseudonym"] == pseudonym(&c.repeat) {
            "LNK-0000-RESEARCH-1"
        } else {
            ""
        };
        assert_eq!(r["linkage_id"], linkage);
    }
    let certified: Vec<_> = rows
        .iter()
        .filter(|r| r["review_result"] == "certified")
        .collect();
    assert_eq!(certified.len(), 1);
    // 1941-02-11 → the age at today's form date.
    let born_1941 = rows
        .iter()
        .find(|r| r["pseudonym"] == pseudonym(&c.repeat))
        .expect("row");
    let year: i64 = today[..4].parse().expect("year");
    let age: i64 = born_1941["age_years"].parse().expect("age");
    assert!(age == year - 1941 || age == year - 1942, "age {age}");

    // A second extract, certified only, of another study: the same patients under that study's
    // own pseudonyms, which nothing joins to the first study's.
    let second = env
        .extract(json!({"purpose": "研究B", "approval": "IRB-B", "certified_only": true}))
        .await;
    let (csv2, _) = env
        .download(second["id"].as_str().expect("id"), "csv")
        .await;
    let rows2 = csv_rows(&csv2);
    let mut in_second: Vec<&str> = rows2.iter().map(|r| r["pseudonym"].as_str()).collect();
    in_second.sort();
    let mut want = vec![
        in_study("IRB-B", &c.repeat),
        in_study("IRB-B", &c.other_disease),
    ];
    want.sort();
    assert_eq!(in_second, want, "{rows2:?}");
    assert_ne!(in_study("IRB-B", &c.repeat), pseudonym(&c.repeat));
    assert!(rows2
        .iter()
        .all(|r| !rows.iter().any(|f| f["pseudonym"] == r["pseudonym"])));
    assert!(rows2.iter().all(|r| r["review_result"] == "certified"));
    assert_eq!(second["rows"], json!(2));

    // The Parquet file says the same as the CSV.
    let (pq2, _) = env
        .download(second["id"].as_str().expect("id"), "parquet")
        .await;
    let (prows, _) = parquet_rows(&pq2);
    let mut p_pseudonyms: Vec<&str> = prows.iter().map(|r| r["pseudonym"].as_str()).collect();
    p_pseudonyms.sort();
    assert_eq!(p_pseudonyms, in_second);

    // A period that ends before today's forms: nothing.
    let none = env
        .extract(json!({"purpose": "研究C", "approval": "IRB-C",
                        "from": "2023-10-01", "to": "2023-12-31"}))
        .await;
    assert_eq!(none["rows"], json!(0));

    // Rebuilt from position 0, the view gives the same extract, row for row.
    projections::rebuild(
        &env.store,
        &projections::research::Research::default(),
        |_, _| {},
    )
    .await
    .expect("rebuild");
    let again = env
        .extract(json!({
            "purpose": "研究A", "approval": "IRB-A", "diseases": ["6"],
            "from": "2024-04-01", "to": today,
        }))
        .await;
    let (csv3, _) = env.download(again["id"].as_str().expect("id"), "csv").await;
    assert_eq!(
        csv3, csv,
        "the rebuilt view extracts the same bytes, the same study the same pseudonyms"
    );
}

async fn bad_requests_are_refused_and_append_nothing(db: Db) {
    let env = Env::new(db).await;
    let mut p = person(7, "庚");
    env.form(&mut p, true, "6", 3).await;
    let shoman_operator = env
        .accounts
        .token(&Who::new(Role::Operator).program(Program::Shoman))
        .await
        .expect("shoman operator");
    let auditor = env
        .accounts
        .token(&Who::new(Role::Auditor))
        .await
        .expect("auditor");
    let valid = json!({"purpose": "研究", "approval": "IRB-1"});
    let with = |k: &str, v: Value| {
        let mut b = valid.clone();
        b[k] = v;
        b
    };
    let cases: Vec<(&str, &String, Value, u16, &str)> = vec![
        (
            "empty purpose",
            &env.operator,
            with("purpose", json!("")),
            422,
            "purpose_required",
        ),
        (
            "blank purpose",
            &env.operator,
            with("purpose", json!("   ")),
            422,
            "purpose_required",
        ),
        (
            "no approval",
            &env.operator,
            with("approval", json!("")),
            422,
            "approval_required",
        ),
        (
            "unknown disease",
            &env.operator,
            with("diseases", json!(["9999"])),
            422,
            "unknown_disease",
        ),
        (
            "a 小慢 disease in 難病",
            &env.operator,
            with("diseases", json!(["7-6"])),
            422,
            "unknown_disease",
        ),
        (
            "from after to",
            &env.operator,
            json!({"purpose": "研究", "approval": "IRB-1", "from": "2025-01-01", "to": "2024-12-31"}),
            422,
            "invalid_period",
        ),
        (
            "a date that does not exist",
            &env.operator,
            with("from", json!("2024-02-30")),
            422,
            "invalid_period",
        ),
        (
            "before the system started",
            &env.operator,
            with("from", json!("2001-01-01")),
            422,
            "invalid_period",
        ),
        (
            "an unknown field",
            &env.operator,
            with("patient_name", json!("x")),
            422,
            "invalid_body",
        ),
        ("a doctor", &env.doctor, valid.clone(), 403, "forbidden"),
        (
            "municipality staff",
            &env.staff,
            valid.clone(),
            403,
            "forbidden",
        ),
        ("an auditor", &auditor, valid.clone(), 403, "forbidden"),
        (
            "the 小慢 operator on 難病",
            &shoman_operator,
            with("program", json!("nanbyo")),
            403,
            "forbidden",
        ),
    ];
    for (what, token, body, status, code) in cases {
        let before = env.events().await;
        let (got, value, _) = env
            .call(
                reqwest::Method::POST,
                "/api/research/extracts",
                token,
                Some(body),
            )
            .await;
        assert_eq!(got.as_u16(), status, "{what}: {value}");
        assert_eq!(value["code"], json!(code), "{what}: {value}");
        assert!(
            value["message"]["ja"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}"
        );
        assert!(
            value["message"]["en"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}"
        );
        if status == 403 {
            assert!(
                value["details"]["permission"].is_string(),
                "{what}: {value}"
            );
        }
        assert_eq!(env.events().await, before, "{what} appended");
        assert!(env.extract_files().is_empty(), "{what} wrote files");
    }
    // Downloads: the operator of the other program and other roles get nothing.
    let made = env.extract(valid.clone()).await;
    let id = made["id"].as_str().expect("id");
    for (who, status) in [(&shoman_operator, 404), (&env.doctor, 403), (&auditor, 403)] {
        let (got, value, _) = env
            .call(
                reqwest::Method::GET,
                &format!("/api/research/extracts/{id}/csv"),
                who,
                None,
            )
            .await;
        assert_eq!(got.as_u16(), status, "{value}");
    }
    for path in [
        format!("/api/research/extracts/{id}/xlsx"),
        "/api/research/extracts/..%2F..%2Fpseudonym.key/csv".to_owned(),
        "/api/research/extracts/..%2F..%2Fresearch.key/csv".to_owned(),
        format!("/api/research/extracts/{}/csv", uuid::Uuid::now_v7()),
    ] {
        let (got, _, _) = env
            .call(reqwest::Method::GET, &path, &env.operator, None)
            .await;
        assert_eq!(got, StatusCode::NOT_FOUND, "{path}");
    }
}

/// Issue 12 §7: an extract row cannot be joined to the bus. Everyone who reads the JetStream
/// stream sees each form's id, institution, doctor and jurisdiction beside the patient's bus
/// pseudonym; if an extract's pseudonym (or linkage id) were on the bus too, its rows would lead
/// back to those. The other columns are coded clinical values (a disease code, a sex, a month,
/// `meets`) that the bus carries by design and that many rows share: what must not be shared is
/// what singles out a row's patient.
async fn no_value_of_an_extract_is_on_the_bus(db: Db) {
    let url = relay_support::shared_nats_url();
    let relay = relay_support::relay_config(&url);
    let stream = relay.stream.name.clone();
    let env = Env::start(
        db,
        Some(api::nats::NatsSettings {
            relay,
            linkage: None,
        }),
    )
    .await;
    let c = cohort(&env).await;
    assign_linkage(&env.store, &c.repeat.key(), "LNK-0000-BUS-1").await;
    let answer = env
        .extract(json!({"purpose": "バスとの突合せ検査", "approval": "IRB-BUS-1"}))
        .await;
    let id = answer["id"].as_str().expect("id");
    let (csv, _) = env.download(id, "csv").await;
    let (pq, _) = env.download(id, "parquet").await;
    let csv = csv_rows(&csv);
    let (pq, _) = parquet_rows(&pq);
    assert_eq!(csv.len(), 4, "{csv:?}");
    assert_eq!(pq.len(), 4, "{pq:?}");
    let values: std::collections::BTreeSet<String> = csv
        .iter()
        .chain(pq.iter())
        .flat_map(|r| [r["pseudonym"].clone(), r["linkage_id"].clone()])
        .filter(|v| !v.is_empty())
        .collect();
    assert!(values.contains("LNK-0000-BUS-1"), "{values:?}");
    assert!(
        values.len() >= 4,
        "three patients and a linkage id: {values:?}"
    );
    // Two secrets: the relay's and the extracts' (each created at its first use).
    let secret = |name: &str| std::fs::read_to_string(env.data_dir.join(name)).expect(name);
    assert_ne!(secret("pseudonym.key"), secret("research.key"));

    // Every committed event is on the stream (the relay has caught up), then every message.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let expected = loop {
        let committed = relay_support::committed(&env.store).await.len();
        if relay_support::stream_messages(&url, &stream).await == committed as u64 {
            break committed;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the relay did not publish every committed event"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let received =
        relay_support::consume(&url, &stream, expected, std::time::Duration::from_secs(30)).await;
    assert_eq!(received.len(), expected);
    for m in &received {
        for v in &values {
            assert!(
                !find(&m.raw, v) && !m.subject.contains(v.as_str()),
                "the extract's {v:?} is in the bus message {}",
                String::from_utf8_lossy(&m.raw)
            );
        }
    }
    // The check looked at these patients' messages: their forms are on the bus, under the
    // bus's own pseudonym.
    let on_bus: std::collections::BTreeSet<String> = received
        .iter()
        .filter(|m| m.event.event_type == "FormDrafted")
        .filter_map(|m| {
            let payload: Value = serde_json::from_str(m.event.payload.get()).ok()?;
            payload["patient"].as_str().map(str::to_owned)
        })
        .collect();
    assert_eq!(on_bus.len(), 6, "one bus pseudonym per patient: {on_bus:?}");
    relay_support::delete_stream(&url, &stream).await;
}

#[tokio::test]
async fn postgres_every_output_byte_of_an_extract_is_free_of_identifiers() {
    every_output_byte_is_free_of_identifiers(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_every_output_byte_of_an_extract_is_free_of_identifiers() {
    every_output_byte_is_free_of_identifiers(Db::Sqlite).await;
}

#[tokio::test]
async fn postgres_only_consenting_forms_in_the_filter_under_a_stable_pseudonym() {
    only_consenting_forms_in_the_filter_under_a_stable_pseudonym(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_only_consenting_forms_in_the_filter_under_a_stable_pseudonym() {
    only_consenting_forms_in_the_filter_under_a_stable_pseudonym(Db::Sqlite).await;
}

#[tokio::test]
async fn postgres_bad_extract_requests_are_refused_and_append_nothing() {
    bad_requests_are_refused_and_append_nothing(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_bad_extract_requests_are_refused_and_append_nothing() {
    bad_requests_are_refused_and_append_nothing(Db::Sqlite).await;
}

#[tokio::test]
async fn postgres_no_value_of_an_extract_is_on_the_bus() {
    no_value_of_an_extract_is_on_the_bus(Db::Postgres).await;
}

#[tokio::test]
async fn sqlite_no_value_of_an_extract_is_on_the_bus() {
    no_value_of_an_extract_is_on_the_bus(Db::Sqlite).await;
}
