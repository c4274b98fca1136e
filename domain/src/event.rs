//! What an event is to the rest of the system: a serde-tagged enum per aggregate whose variants
//! are stored as (event type, schema version, JSON payload). The catalog knows every event type
//! the registry may write, checks a payload before it reaches the store, and upcasts payloads
//! written under an older schema version into the current shape when they are read back.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Why a payload was refused or could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("event type {event_type} is at schema version {current}, got {got}")]
    SchemaVersion {
        event_type: String,
        current: u32,
        got: u32,
    },
    #[error("payload of {event_type} is not valid: {reason}")]
    Invalid { event_type: String, reason: String },
}

/// One upcaster: turns a payload of schema version `from` into version `from + 1`.
#[derive(Clone, Copy)]
pub struct Upcaster {
    pub from: u32,
    pub upcast: fn(Value) -> Result<Value, String>,
}

/// A kind of event an aggregate emits: its name, its current schema version, and the upcasters
/// that bring older versions up to it (one per step, `from` = 1, 2, …).
#[derive(Clone, Copy)]
pub struct EventKind {
    pub event_type: &'static str,
    pub schema_version: u32,
    pub upcasters: &'static [Upcaster],
}

impl EventKind {
    pub const fn new(event_type: &'static str) -> Self {
        EventKind {
            event_type,
            schema_version: 1,
            upcasters: &[],
        }
    }
}

/// The events of one aggregate: an internally tagged enum (`#[serde(tag = "type")]`) whose
/// variants are struct-like. The tag becomes the stored event type; the other fields are the
/// payload.
pub trait DomainEvent: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Every event type of this enum, with its current schema version.
    const KINDS: &'static [EventKind];

    /// Splits the event into (event type, schema version, payload without the tag).
    fn to_payload(&self) -> Result<(String, u32, Value), PayloadError> {
        let value = serde_json::to_value(self).map_err(|e| PayloadError::Invalid {
            event_type: std::any::type_name::<Self>().to_owned(),
            reason: e.to_string(),
        })?;
        let Value::Object(mut map) = value else {
            return Err(PayloadError::Invalid {
                event_type: std::any::type_name::<Self>().to_owned(),
                reason: "an event must serialise to a JSON object".into(),
            });
        };
        let Some(Value::String(event_type)) = map.remove("type") else {
            return Err(PayloadError::Invalid {
                event_type: std::any::type_name::<Self>().to_owned(),
                reason: "an event enum must be tagged with \"type\"".into(),
            });
        };
        let kind = Self::KINDS
            .iter()
            .find(|k| k.event_type == event_type)
            .ok_or_else(|| PayloadError::UnknownType(event_type.clone()))?;
        Ok((event_type, kind.schema_version, Value::Object(map)))
    }

    /// Rebuilds the event from a stored payload that is already at the current schema version.
    fn from_payload(event_type: &str, payload: &Value) -> Result<Self, PayloadError> {
        let Value::Object(map) = payload else {
            return Err(PayloadError::Invalid {
                event_type: event_type.to_owned(),
                reason: "payload must be a JSON object".into(),
            });
        };
        let mut map: Map<String, Value> = map.clone();
        map.insert("type".into(), Value::String(event_type.to_owned()));
        serde_json::from_value(Value::Object(map)).map_err(|e| PayloadError::Invalid {
            event_type: event_type.to_owned(),
            reason: e.to_string(),
        })
    }
}

type Validator = fn(&str, &Value) -> Result<(), PayloadError>;

struct Entry {
    kind: EventKind,
    validate: Validator,
}

/// Every event type the registry knows. The store asks it to validate each payload before
/// appending and to upcast each payload it reads.
#[derive(Default)]
pub struct EventCatalog {
    entries: HashMap<&'static str, Entry>,
}

impl EventCatalog {
    /// The catalog of every aggregate in this crate.
    pub fn registry() -> Self {
        let mut c = EventCatalog::default();
        c.register::<crate::institution::InstitutionEvent>();
        c.register::<crate::account::AccountEvent>();
        c.register::<crate::audit::AccessEvent>();
        c.register::<crate::form::FormEvent>();
        c.register::<crate::master::MasterEvent>();
        c.register::<crate::municipality::MunicipalityEvent>();
        c.register::<crate::research::ResearchEvent>();
        c.register::<crate::patient::PatientEvent>();
        c.register::<crate::import_job::ImportEvent>();
        c
    }

    /// Adds an aggregate's events. Event type names are global: registering one twice is a
    /// programming error and panics at start-up, before anything is written.
    pub fn register<E: DomainEvent>(&mut self) -> &mut Self {
        // The payload must be exactly what the type serialises to: serde would otherwise
        // ignore unknown fields, and anything written here stays forever (it is hashed into an
        // append-only table), so a stray field with personal data could never be removed.
        fn validate<E: DomainEvent>(t: &str, p: &Value) -> Result<(), PayloadError> {
            let (_, _, canonical) = E::from_payload(t, p)?.to_payload()?;
            if canonical != *p {
                return Err(PayloadError::Invalid {
                    event_type: t.to_owned(),
                    reason: "the payload has fields its type does not have, or values not in \
                             their canonical form"
                        .into(),
                });
            }
            Ok(())
        }
        for kind in E::KINDS {
            let previous = self.entries.insert(
                kind.event_type,
                Entry {
                    kind: *kind,
                    validate: validate::<E>,
                },
            );
            assert!(
                previous.is_none(),
                "event type {} registered twice",
                kind.event_type
            );
        }
        self
    }

    /// Every registered event type (in no particular order).
    pub fn event_types(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.keys().copied()
    }

    pub fn kind(&self, event_type: &str) -> Option<&EventKind> {
        self.entries.get(event_type).map(|e| &e.kind)
    }

    /// Checks that a payload about to be written is a valid current-version event.
    pub fn validate(
        &self,
        event_type: &str,
        schema_version: u32,
        payload: &Value,
    ) -> Result<(), PayloadError> {
        let entry = self
            .entries
            .get(event_type)
            .ok_or_else(|| PayloadError::UnknownType(event_type.to_owned()))?;
        if schema_version != entry.kind.schema_version {
            return Err(PayloadError::SchemaVersion {
                event_type: event_type.to_owned(),
                current: entry.kind.schema_version,
                got: schema_version,
            });
        }
        (entry.validate)(event_type, payload)
    }

    /// Brings a stored payload up to the current schema version of its type. Types the catalog
    /// does not know are returned unchanged, so a reader never fails on an event written by a
    /// newer release.
    pub fn upcast(
        &self,
        event_type: &str,
        mut schema_version: u32,
        mut payload: Value,
    ) -> Result<(u32, Value), PayloadError> {
        let Some(entry) = self.entries.get(event_type) else {
            return Ok((schema_version, payload));
        };
        while schema_version < entry.kind.schema_version {
            let step = entry
                .kind
                .upcasters
                .iter()
                .find(|u| u.from == schema_version)
                .ok_or_else(|| PayloadError::Invalid {
                    event_type: event_type.to_owned(),
                    reason: format!("no upcaster from schema version {schema_version}"),
                })?;
            payload = (step.upcast)(payload).map_err(|reason| PayloadError::Invalid {
                event_type: event_type.to_owned(),
                reason,
            })?;
            schema_version += 1;
        }
        Ok((schema_version, payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_with_a_later_schema_version_has_a_full_upcaster_chain() {
        let catalog = EventCatalog::registry();
        for entry in catalog.entries.values() {
            for from in 1..entry.kind.schema_version {
                assert!(
                    entry.kind.upcasters.iter().any(|u| u.from == from),
                    "{} lacks an upcaster from {from}",
                    entry.kind.event_type
                );
            }
        }
    }

    #[test]
    fn extra_fields_are_refused() {
        let catalog = EventCatalog::registry();
        let ok = serde_json::json!({"name": "x"});
        assert!(catalog.validate("InstitutionRenamed", 1, &ok).is_ok());
        let extra = serde_json::json!({"name": "x", "patient_name": "山田太郎"});
        assert!(matches!(
            catalog.validate("InstitutionRenamed", 1, &extra),
            Err(PayloadError::Invalid { .. })
        ));
    }

    #[test]
    fn unknown_types_and_stale_schema_versions_are_refused() {
        let catalog = EventCatalog::registry();
        let payload = serde_json::json!({});
        assert!(matches!(
            catalog.validate("NoSuchEvent", 1, &payload),
            Err(PayloadError::UnknownType(_))
        ));
        assert!(matches!(
            catalog.validate("InstitutionRegistered", 1, &payload),
            Err(PayloadError::SchemaVersion {
                current: 2,
                got: 1,
                ..
            })
        ));
    }
}
