//! 履歴照会・回答 round trip with the reference responder over a nats-server of the test's own:
//! a new patient's form → an inquiry on `linkage.inquiry.nanbyo` (retried with backoff and
//! listed as unanswered while nobody answers) → the responder's answer → `LinkageIdAssigned` on
//! the patient's record; a not-found answer; duplicate and late answers that change nothing;
//! the same data asking nothing again and changed insurance data asking again. Both backends.

mod relay_support;

use std::sync::Arc;
use std::time::Duration;

use domain::form::{FormEvent, Patient};
use domain::patient::{PatientEvent, PATIENT};
use domain::pseudonym::PseudonymKey;
use domain::{DomainEvent, Program, Role};
use eventstore::{EventStore, ExpectedVersion, Metadata, NewEvent, StreamId};
use futures::StreamExt;
use nanbyo_tests::{fresh_store, Db};
use relay::linkage::{self, Answered, LinkageConfig, LinkageInquiry, LinkageResponse};
use relay::responder::{self, ResponderConfig};
use relay::samples;
use relay_support::*;
use tokio::sync::watch;

const NOT_FOUND_INSURER: &str = "39999999";

fn key() -> PseudonymKey {
    PseudonymKey::from_bytes([3; 32])
}

fn patient(kana: &str, insurer: &str) -> Patient {
    let mut p = samples::patient();
    p.name_kana = kana.into();
    p.insurer_number = Some(insurer.into());
    p
}

/// A doctor drafts a form for `patient` (the events the aggregate decides), as form `form`.
async fn draft(store: &Arc<dyn EventStore>, form: &str, patient: Patient) {
    let events: Vec<NewEvent> = samples::draft_events(patient)
        .iter()
        .map(|e: &FormEvent| {
            NewEvent::from_domain(
                e,
                Metadata::new("doctor-1", Role::DesignatedDoctor, Some(Program::Nanbyo)),
            )
            .expect("event")
        })
        .collect();
    store
        .append(
            &StreamId::new("form", form).expect("id"),
            ExpectedVersion::NoStream,
            events,
            None,
        )
        .await
        .expect("drafted");
}

async fn record(store: &Arc<dyn EventStore>, patient: &Patient) -> Vec<PatientEvent> {
    let stream = StreamId::new(PATIENT, &patient.key(Program::Nanbyo)).expect("id");
    store
        .read_stream(&stream, 1)
        .await
        .expect("read")
        .iter()
        .map(|e| e.decode().expect("patient event"))
        .collect()
}

fn expected_linkage_id(p: &Patient) -> String {
    responder::linkage_id(&LinkageInquiry {
        request_id: String::new(),
        program: "nanbyo".into(),
        patient: String::new(),
        name_kana: p.name_kana.clone(),
        birth_date: p.birth_date.clone(),
        sex: "female".into(),
        insurer_number: None,
        insured_symbol_number: None,
    })
}

async fn wait_for_record(store: &Arc<dyn EventStore>, p: &Patient, events: usize) {
    eventually("the patient's record", Duration::from_secs(30), || async {
        record(store, p).await.len() >= events
    })
    .await;
}

/// The next inquiry seen on the bus about the patient with this kana name.
async fn next_for(inquiries: &mut async_nats::Subscriber, kana: &str) -> LinkageInquiry {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), inquiries.next())
            .await
            .expect("an inquiry")
            .expect("message");
        let inquiry: LinkageInquiry = serde_json::from_slice(&m.payload).expect("inquiry");
        if inquiry.name_kana == kana {
            return inquiry;
        }
    }
}

async fn linkage_round_trip(db: Db) {
    let (store, _) = fresh_store(db).await;
    let nats = NatsServer::start().await;
    let client = async_nats::connect(nats.url()).await.expect("connect");
    // Watch what the registry asks, as the external system would see it.
    let mut inquiries = client
        .subscribe("linkage.inquiry.*")
        .await
        .expect("subscribe");
    client.flush().await.expect("flush");

    let mut config = LinkageConfig::new(nats.url());
    config.retry_base = Duration::from_millis(200);
    config.retry_max = Duration::from_millis(800);
    let (stop, stopped) = watch::channel(false);
    let tasks = linkage::spawn(store.clone(), config, key(), stopped);

    // 1. A new patient, nobody answering yet: the inquiry goes out, again with backoff, and
    //    the status lists it as unanswered.
    let hanako = patient("スズキ ハナコ", samples::INSURER);
    draft(&store, "form-1", hanako.clone()).await;
    let first: LinkageInquiry = {
        let m = tokio::time::timeout(Duration::from_secs(20), inquiries.next())
            .await
            .expect("an inquiry")
            .expect("message");
        assert_eq!(m.subject.as_str(), "linkage.inquiry.nanbyo");
        serde_json::from_slice(&m.payload).expect("inquiry")
    };
    assert_eq!(first.name_kana, hanako.name_kana);
    assert_eq!(first.birth_date, samples::BIRTH_DATE);
    assert_eq!(first.sex, "female");
    assert_eq!(first.insurer_number.as_deref(), Some(samples::INSURER));
    assert_eq!(
        first.insured_symbol_number.as_deref(),
        Some(samples::INSURED)
    );
    assert_eq!(
        first.patient,
        key().pseudonym(Program::Nanbyo, &hanako.key(Program::Nanbyo))
    );
    let again: LinkageInquiry = {
        let m = tokio::time::timeout(Duration::from_secs(20), inquiries.next())
            .await
            .expect("the inquiry is sent again")
            .expect("message");
        serde_json::from_slice(&m.payload).expect("inquiry")
    };
    assert_eq!(
        again.request_id, first.request_id,
        "a retry, not a new inquiry"
    );
    let unanswered = linkage::unanswered(&store.sql()).await.expect("status");
    assert_eq!(unanswered.len(), 1);
    assert_eq!(unanswered[0].request_id, first.request_id);
    assert!(unanswered[0].attempts >= 2);

    // 2. The reference responder comes up (answering every inquiry twice): the next retry
    //    is answered, once on the record.
    let responder = tokio::spawn(responder::run(
        async_nats::connect(nats.url()).await.expect("connect"),
        ResponderConfig {
            not_found_insurers: vec![NOT_FOUND_INSURER.into()],
            copies: 2,
        },
    ));
    wait_for_record(&store, &hanako, 2).await;
    let linkage_id = expected_linkage_id(&hanako);
    assert_eq!(
        record(&store, &hanako).await[1],
        PatientEvent::LinkageIdAssigned {
            request_id: first.request_id.clone(),
            linkage_id: linkage_id.clone(),
        }
    );
    eventually("no unanswered inquiry", Duration::from_secs(20), || async {
        linkage::unanswered(&store.sql())
            .await
            .expect("status")
            .is_empty()
    })
    .await;

    // 3. A patient the system does not know: not found, with the reason.
    let taro = patient("ヤマダ タロウ", NOT_FOUND_INSURER);
    draft(&store, "form-2", taro.clone()).await;
    wait_for_record(&store, &taro, 2).await;
    let taro_record = record(&store, &taro).await;
    let PatientEvent::LinkageInquired { request_id, .. } = &taro_record[0] else {
        panic!("an inquiry first")
    };
    assert_eq!(
        taro_record[1],
        PatientEvent::LinkageNotFound {
            request_id: request_id.clone(),
            reason: "no_record".into()
        }
    );

    // 4. A late answer for an answered request (another linkage id, even): nothing changes.
    let late = LinkageResponse::Assigned {
        request_id: first.request_id.clone(),
        linkage_id: "REF-LATE".into(),
    };
    assert_eq!(
        linkage::record_answer(&store, Program::Nanbyo, &late)
            .await
            .expect("answer"),
        Answered::Duplicate
    );
    client
        .publish(
            "linkage.response.nanbyo",
            serde_json::to_vec(&late).expect("json").into(),
        )
        .await
        .expect("publish");
    client.flush().await.expect("flush");

    // 5. Another form of the same patient with the same data asks nothing; changed insurance
    //    data ask again (and the answer comes after the late one above, on the same listener).
    draft(&store, "form-3", hanako.clone()).await;
    let mut moved = patient("スズキ ハナコ", "01234567");
    moved.insured_symbol_number = Some("記号1・番号2".into());
    draft(&store, "form-4", moved.clone()).await;
    assert_eq!(moved.key(Program::Nanbyo), hanako.key(Program::Nanbyo));
    wait_for_record(&store, &hanako, 4).await;
    let events = record(&store, &hanako).await;
    let PatientEvent::LinkageInquired {
        request_id: second,
        form,
        cause,
        ..
    } = &events[2]
    else {
        panic!("a second inquiry: {events:?}")
    };
    assert_eq!(form, "form-4", "form-3 had the same data and asked nothing");
    assert_eq!(*cause, domain::patient::InquiryCause::IdentityChanged);
    assert_eq!(
        events[3],
        PatientEvent::LinkageIdAssigned {
            request_id: second.clone(),
            linkage_id,
        }
    );
    // Every answer was sent twice and one answer came late: still one answer per request.
    eventually("no unanswered inquiry", Duration::from_secs(20), || async {
        linkage::unanswered(&store.sql())
            .await
            .expect("status")
            .is_empty()
    })
    .await;
    assert_eq!(record(&store, &hanako).await.len(), 4);
    assert_eq!(record(&store, &taro).await.len(), 2);
    assert_eq!(
        linkage::outcome(&store.sql(), &first.request_id)
            .await
            .expect("outcome")
            .as_deref(),
        Some("assigned")
    );

    // 6. A form drafted with a misspelt kana, corrected while its inquiry is unanswered: the
    //    correction asks under the corrected key, and the first inquiry keeps asking about the
    //    data it was made for, so each answer lands on the record of the key it was asked for.
    responder.abort();
    let typo = patient("タナカ ハナゴ", samples::INSURER);
    let fixed = patient("タナカ ハナコ", samples::INSURER);
    draft(&store, "form-5", typo.clone()).await;
    let asked_typo = next_for(&mut inquiries, "タナカ ハナゴ").await;
    let correction = NewEvent::from_domain(
        &FormEvent::PatientDataChanged {
            program: Program::Nanbyo,
            changes: domain::form::patient_changes(&typo, &fixed),
            patient: Box::new(fixed.clone()),
        },
        Metadata::new("doctor-1", Role::DesignatedDoctor, Some(Program::Nanbyo)),
    )
    .expect("event");
    store
        .append(
            &StreamId::new("form", "form-5").expect("id"),
            ExpectedVersion::Any,
            vec![correction],
            None,
        )
        .await
        .expect("corrected");
    let asked_fixed = next_for(&mut inquiries, "タナカ ハナコ").await;
    assert_ne!(asked_fixed.request_id, asked_typo.request_id);
    assert_eq!(
        asked_fixed.patient,
        key().pseudonym(Program::Nanbyo, &fixed.key(Program::Nanbyo))
    );
    // The first inquiry, sent again after the correction, still asks about the typo.
    let retried = next_for(&mut inquiries, "タナカ ハナゴ").await;
    assert_eq!(retried.request_id, asked_typo.request_id);
    assert_eq!(retried.patient, asked_typo.patient);
    let responder = tokio::spawn(responder::run(
        async_nats::connect(nats.url()).await.expect("connect"),
        ResponderConfig {
            not_found_insurers: vec![],
            copies: 1,
        },
    ));
    wait_for_record(&store, &typo, 2).await;
    wait_for_record(&store, &fixed, 2).await;
    assert_eq!(
        record(&store, &typo).await[1],
        PatientEvent::LinkageIdAssigned {
            request_id: asked_typo.request_id.clone(),
            linkage_id: expected_linkage_id(&typo),
        }
    );
    assert_eq!(
        record(&store, &fixed).await[1],
        PatientEvent::LinkageIdAssigned {
            request_id: asked_fixed.request_id.clone(),
            linkage_id: expected_linkage_id(&fixed),
        }
    );

    // No patient event carries identity data.
    for e in record(&store, &hanako).await {
        let (_, _, payload) = e.to_payload().expect("payload");
        let text = payload.to_string();
        for id in samples::identifiers() {
            assert!(!text.contains(&id), "{id:?} in the patient's record");
        }
    }
    stop.send_replace(true);
    for t in tasks {
        t.await.expect("task stops");
    }
    responder.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linkage_round_trip_postgres() {
    linkage_round_trip(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linkage_round_trip_sqlite() {
    linkage_round_trip(Db::Sqlite).await;
}

/// A form whose insurer was corrected before its inquiry went out (issue 12 §8): the sender
/// reaches the draft's inquiry after the correction is committed but before the inquirer has
/// recorded the correction's own inquiry — the interleaving is made exact by running the
/// inquirer and the view first (no NATS for the sender), then one round of the sender, then
/// everything. Each inquiry sent carries the data it was made for: two inquiries, one per
/// distinct content, never the corrected data twice.
async fn insurer_corrected_before_the_inquiry_went_out(db: Db) {
    let (store, _) = fresh_store(db).await;
    let nats = NatsServer::start().await;
    let client = async_nats::connect(nats.url()).await.expect("connect");
    let mut inquiries = client
        .subscribe("linkage.inquiry.*")
        .await
        .expect("subscribe");
    client.flush().await.expect("flush");

    // 1. The inquirer and the inquiries view run; the sender has no NATS yet: the draft's
    //    inquiry is decided and listed, not sent.
    let (stop, stopped) = watch::channel(false);
    let tasks = linkage::spawn(
        store.clone(),
        LinkageConfig::new("nats://127.0.0.1:1"),
        key(),
        stopped,
    );
    let drafted = patient("コウセイ ハナコ", samples::INSURER);
    draft(&store, "form-1", drafted.clone()).await;
    eventually(
        "the draft's inquiry listed",
        Duration::from_secs(30),
        || async {
            linkage::unanswered(&store.sql())
                .await
                .expect("status")
                .len()
                == 1
        },
    )
    .await;
    stop.send_replace(true);
    for t in tasks {
        t.await.expect("task stops");
    }

    // 2. The insurer is corrected (the same patient key) before the inquiry went out.
    let corrected = patient("コウセイ ハナコ", "01234567");
    let correction = NewEvent::from_domain(
        &FormEvent::PatientDataChanged {
            program: Program::Nanbyo,
            changes: domain::form::patient_changes(&drafted, &corrected),
            patient: Box::new(corrected.clone()),
        },
        Metadata::new("doctor-1", Role::DesignatedDoctor, Some(Program::Nanbyo)),
    )
    .expect("event");
    store
        .append(
            &StreamId::new("form", "form-1").expect("id"),
            ExpectedVersion::Any,
            vec![correction],
            None,
        )
        .await
        .expect("corrected");

    // 3. The sender's round comes before the inquirer has seen the correction.
    let mut config = LinkageConfig::new(nats.url());
    config.retry_base = Duration::from_secs(60);
    let sender = async_nats::connect(nats.url()).await.expect("connect");
    assert_eq!(
        linkage::send_due(&store, &sender, &key(), &config)
            .await
            .expect("send"),
        1
    );
    // 4. Everything runs: the correction asks again, with the corrected data.
    let (stop, stopped) = watch::channel(false);
    let tasks = linkage::spawn(store.clone(), config, key(), stopped);
    let first = next_for(&mut inquiries, &drafted.name_kana).await;
    let second = next_for(&mut inquiries, &drafted.name_kana).await;
    assert_ne!(first.request_id, second.request_id, "two inquiries");
    let content = |i: &LinkageInquiry| {
        let mut i = i.clone();
        i.request_id.clear();
        serde_json::to_string(&i).expect("json")
    };
    assert_ne!(
        content(&first),
        content(&second),
        "the same data asked twice"
    );
    assert_eq!(first.insurer_number.as_deref(), Some(samples::INSURER));
    assert_eq!(second.insurer_number.as_deref(), Some("01234567"));
    // And nothing more: the first is superseded, the second waits for its retry.
    assert!(
        tokio::time::timeout(Duration::from_secs(2), inquiries.next())
            .await
            .is_err(),
        "a third inquiry"
    );
    stop.send_replace(true);
    for t in tasks {
        t.await.expect("task stops");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insurer_corrected_before_the_inquiry_went_out_postgres() {
    insurer_corrected_before_the_inquiry_went_out(Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insurer_corrected_before_the_inquiry_went_out_sqlite() {
    insurer_corrected_before_the_inquiry_went_out(Db::Sqlite).await;
}
