//! The AsyncAPI document of every subject this registry publishes or consumes, generated from
//! the Rust types that go on the wire (`bus`, `linkage`), so it cannot drift: a test compares
//! docs/asyncapi.json with what this module generates (`UPDATE_ASYNCAPI=1` rewrites it).

use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

use crate::bus::{self, BusEvent};
use crate::linkage::{LinkageInquiry, LinkageResponse};

/// The document, as JSON.
pub fn document() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    let envelope = generator.subschema_for::<BusEvent>();
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    for (aggregate, event_type, schema) in bus::payload_schemas() {
        let payload = schema(&mut generator);
        let id = format!("{aggregate}.{event_type}");
        messages.insert(
            id.clone(),
            json!({
                "name": event_type,
                "title": format!("{event_type} ({aggregate})"),
                "contentType": "application/json",
                "headers": {
                    "type": "object",
                    "properties": {"Nats-Msg-Id": {
                        "type": "string",
                        "description": "The event id (UUID v7): JetStream drops a republish inside the duplicate window; consumers deduplicate by it."
                    }},
                    "required": ["Nats-Msg-Id"]
                },
                "payload": {
                    "allOf": [
                        envelope,
                        {
                            "type": "object",
                            "properties": {
                                "stream_type": {"const": aggregate},
                                "event_type": {"const": event_type},
                                "payload": payload,
                            }
                        }
                    ]
                }
            }),
        );
        channels.insert(
            id.clone(),
            json!({
                "address": format!("nanbyo.{{program}}.{aggregate}.{event_type}"),
                "description": "JetStream stream NANBYO_EVENTS (subjects nanbyo.>).",
                "parameters": {"program": {"$ref": "#/components/parameters/program"}},
                "messages": {event_type: {"$ref": format!("#/components/messages/{id}")}},
            }),
        );
        operations.insert(
            format!("publish.{id}"),
            json!({
                "action": "send",
                "channel": {"$ref": format!("#/channels/{id}")},
                "summary": "Published by the relay after the event is committed, in per-stream order.",
            }),
        );
    }
    let inquiry = generator.subschema_for::<LinkageInquiry>();
    let response = generator.subschema_for::<LinkageResponse>();
    messages.insert(
        "linkage.inquiry".into(),
        json!({"name": "LinkageInquiry", "contentType": "application/json", "payload": inquiry,
               "description": "Carries identity data: restrict this subject with NATS permissions (deploy/nats/)."}),
    );
    messages.insert(
        "linkage.response".into(),
        json!({"name": "LinkageResponse", "contentType": "application/json", "payload": response}),
    );
    channels.insert(
        "linkage.inquiry".into(),
        json!({
            "address": "linkage.inquiry.{program}",
            "description": "Core NATS (not stored in JetStream). Sent when a patient's identity or insurance data are first recorded or change, and again with backoff until answered.",
            "parameters": {"program": {"$ref": "#/components/parameters/linkage_program"}},
            "messages": {"LinkageInquiry": {"$ref": "#/components/messages/linkage.inquiry"}},
        }),
    );
    channels.insert(
        "linkage.response".into(),
        json!({
            "address": "linkage.response.{program}",
            "description": "Core NATS. The answer of the history inquiry / response system; a repeated answer changes nothing.",
            "parameters": {"program": {"$ref": "#/components/parameters/linkage_program"}},
            "messages": {"LinkageResponse": {"$ref": "#/components/messages/linkage.response"}},
        }),
    );
    operations.insert(
        "send.linkage.inquiry".into(),
        json!({"action": "send", "channel": {"$ref": "#/channels/linkage.inquiry"}}),
    );
    operations.insert(
        "receive.linkage.response".into(),
        json!({"action": "receive", "channel": {"$ref": "#/channels/linkage.response"}}),
    );
    let schemas = generator.take_definitions(true);
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "nanbyo registry events",
            "version": "1.0.0",
            "description": "Every event of the 難病・小慢 registry, redacted for the bus (no names, kana, birth dates, addresses, insurance or recipient numbers, access keys; patients appear as keyed pseudonyms), and the 履歴照会・回答 linkage subjects. Generated from the Rust types (relay/src/asyncapi.rs); see docs/relay.md."
        },
        "defaultContentType": "application/json",
        "servers": {
            "nats": {"host": "127.0.0.1:4222", "protocol": "nats", "description": "NATS with JetStream (NATS_URL)."}
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "parameters": {
                "program": {"enum": ["nanbyo", "shoman", bus::NO_PROGRAM],
                            "description": "The program of the event's actor; `registry` for events without one."},
                "linkage_program": {"enum": ["nanbyo", "shoman"]}
            },
            "messages": messages,
            "schemas": schemas,
        }
    })
}

/// The document as committed: pretty JSON with a final newline.
pub fn render() -> String {
    let mut s = serde_json::to_string_pretty(&document()).unwrap_or_default();
    s.push('\n');
    s
}

/// Whether `T`'s schema is in the document (for tests of new wire types).
pub fn has_schema<T: JsonSchema>() -> bool {
    document()["components"]["schemas"]
        .get(T::schema_name().as_ref())
        .is_some()
}
