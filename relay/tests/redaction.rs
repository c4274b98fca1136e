//! What may leave for the bus: every registered event type has a redaction rule and a
//! documented payload schema, and no identifier of a generated event of any type appears in any
//! byte of its bus copy or subject. Pure: no services.

use std::collections::BTreeSet;

use domain::pseudonym::PseudonymKey;
use domain::{EventCatalog, Program, Role};
use eventstore::{Metadata, RecordedEvent, StreamId};
use relay::bus;
use relay::samples::{self, every_event};

fn recorded(sample: &samples::Sample, version: u64) -> RecordedEvent {
    let mut metadata = Metadata::new("doctor-1", Role::DesignatedDoctor, sample.program)
        .with_reason(samples::FREE_TEXT);
    metadata.causation_id = None;
    RecordedEvent {
        event_id: uuid::Uuid::now_v7(),
        stream: StreamId::new(sample.stream_type, &samples::stream_id(sample)).expect("stream"),
        version,
        position: version,
        event_type: sample.event_type.clone(),
        schema_version: sample.schema_version,
        payload: sample.payload.clone(),
        metadata,
        recorded_at: chrono::Utc::now(),
        hash: [0; 32],
    }
}

fn payload(event: &bus::BusEvent) -> serde_json::Value {
    serde_json::from_str(event.payload.get()).expect("payload is JSON")
}

fn key() -> PseudonymKey {
    PseudonymKey::from_bytes([42; 32])
}

#[test]
fn every_registered_event_type_has_a_sample_a_redaction_rule_and_a_schema() {
    let registered: BTreeSet<&str> = EventCatalog::registry().event_types().collect();
    let samples = every_event();
    let sampled: BTreeSet<&str> = samples.iter().map(|s| s.event_type.as_str()).collect();
    assert_eq!(sampled, registered, "a sample per registered event type");
    let documented: BTreeSet<&str> = bus::payload_schemas().iter().map(|(_, t, _)| *t).collect();
    assert_eq!(
        documented, registered,
        "a payload schema per registered event type"
    );
    for (version, sample) in every_event().iter().enumerate() {
        let event = recorded(sample, version as u64 + 1);
        bus::redact(&event, &key())
            .unwrap_or_else(|e| panic!("{} has no working rule: {e}", sample.event_type));
    }
}

#[test]
fn no_identifier_of_any_event_type_reaches_a_published_byte() {
    let catalog = EventCatalog::registry();
    for (version, sample) in every_event().iter().enumerate() {
        catalog
            .validate(&sample.event_type, sample.schema_version, &sample.payload)
            .expect("the sample is a valid stored event");
        let event = recorded(sample, version as u64 + 1);
        let published =
            serde_json::to_string(&bus::redact(&event, &key()).expect("redacted")).expect("json");
        let subject = bus::subject(bus::SUBJECT_PREFIX, &event);
        for id in samples::identifiers() {
            assert!(
                !published.contains(&id) && !subject.contains(&id),
                "{}: {id:?} is on the bus: {published}",
                sample.event_type
            );
        }
    }
}

#[test]
fn the_patient_appears_only_as_the_keyed_pseudonym() {
    let drafted = every_event()
        .into_iter()
        .find(|s| s.event_type == "FormDrafted")
        .expect("sample");
    let redacted = bus::redact(&recorded(&drafted, 1), &key()).expect("redacted");
    let bus = payload(&redacted);
    let patient_key = samples::patient().key(Program::Nanbyo);
    assert_eq!(
        bus["patient"],
        key().pseudonym(Program::Nanbyo, &patient_key)
    );
    // Another key, another pseudonym: nobody without the key recomputes it.
    let other =
        bus::redact(&recorded(&drafted, 1), &PseudonymKey::from_bytes([1; 32])).expect("redacted");
    assert_ne!(payload(&other)["patient"], bus["patient"]);
    // Clinical items stay; the metadata says a reason was given, not what it was.
    assert_eq!(bus["items"]["sev.hoehn_yahr"], "3");
    assert!(redacted.metadata.has_reason);
}

#[test]
fn withheld_values_are_marked_and_shareable_ones_kept() {
    let admin = every_event()
        .into_iter()
        .find(|s| s.event_type == "AdministrativeFieldsRecorded")
        .expect("sample");
    let bus = payload(&bus::redact(&recorded(&admin, 1), &key()).expect("redacted"));
    let changes = bus["changes"].as_array().expect("changes").clone();
    let by_item = |item: &str| {
        changes
            .iter()
            .find(|c| c["item"] == item)
            .cloned()
            .expect("change")
    };
    assert_eq!(by_item("recipient_number")["withheld"], true);
    assert_eq!(by_item("recipient_number")["new"], serde_json::Value::Null);
    assert_eq!(by_item("remarks")["withheld"], true);
    assert_eq!(by_item("application_date")["new"], "2024-06-10");
    assert_eq!(by_item("life_support")["withheld"], false);
}

#[test]
fn subjects_name_program_aggregate_and_event_type() {
    let samples = every_event();
    let drafted = samples
        .iter()
        .find(|s| s.event_type == "FormDrafted")
        .expect("sample");
    assert_eq!(
        bus::subject("nanbyo", &recorded(drafted, 1)),
        "nanbyo.nanbyo.form.FormDrafted"
    );
    let renamed = samples
        .iter()
        .find(|s| s.event_type == "InstitutionRenamed")
        .expect("sample");
    assert_eq!(
        bus::subject("nanbyo", &recorded(renamed, 1)),
        "nanbyo.registry.institution.InstitutionRenamed"
    );
}

#[test]
fn the_asyncapi_document_is_generated_from_the_types() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/asyncapi.json");
    let generated = relay::asyncapi::render();
    if std::env::var_os("UPDATE_ASYNCAPI").is_some() {
        std::fs::write(&path, &generated).expect("write docs/asyncapi.json");
    }
    let committed = std::fs::read_to_string(&path)
        .expect("docs/asyncapi.json exists (UPDATE_ASYNCAPI=1 cargo test -p relay writes it)");
    assert!(
        committed == generated,
        "docs/asyncapi.json is stale: run UPDATE_ASYNCAPI=1 cargo test -p relay --test redaction"
    );
    let doc: serde_json::Value = serde_json::from_str(&committed).expect("json");
    for event_type in EventCatalog::registry().event_types() {
        let documented = doc["components"]["messages"]
            .as_object()
            .expect("messages")
            .values()
            .any(|m| m["name"] == event_type);
        assert!(documented, "{event_type} is not in docs/asyncapi.json");
    }
    assert!(doc["channels"]["linkage.inquiry"]["address"] == "linkage.inquiry.{program}");
    assert!(doc["channels"]["linkage.response"]["address"] == "linkage.response.{program}");
}

/// The largest batch an import can record — every row rejected with the most errors a row
/// keeps, each with the longest code — still fits in one NATS message (1 MiB by default): a
/// relay that cannot publish an event stops there, and every later event with it.
#[test]
fn the_largest_import_batch_fits_in_a_nats_message() {
    use domain::import_job::{
        ImportEvent, RowIssue, RowOutcome, RowResult, BATCH_ROWS, MAX_ISSUES_PER_ROW,
    };
    use domain::DomainEvent;
    let issue = RowIssue {
        column: Some("x".repeat(64)),
        code: "ambiguous_recipient_number".into(),
        message_ja: "あ".repeat(200),
        message_en: "a".repeat(200),
    };
    let results = (0..BATCH_ROWS as u64)
        .map(|row| RowResult {
            row: 1_000_000 + row,
            outcome: RowOutcome::Rejected,
            form: Some(uuid::Uuid::new_v4().to_string()),
            action: Some("received_and_reviewed".into()),
            errors: vec![issue.clone(); MAX_ISSUES_PER_ROW],
        })
        .collect();
    let event = ImportEvent::ImportRowsApplied {
        through_row: 2_000_000,
        results,
    };
    let (event_type, schema_version, payload) = event.to_payload().expect("payload");
    let sample = samples::Sample {
        stream_type: domain::import_job::STREAM_TYPE,
        program: Some(Program::Nanbyo),
        event_type,
        schema_version,
        payload,
    };
    let bus = bus::redact(&recorded(&sample, 1), &key()).expect("redacted");
    let bytes = serde_json::to_vec(&bus).expect("json").len();
    assert!(bytes < 1024 * 1024, "{bytes} bytes");
}
