//! A medical institution (医療機関) as the master knows it: its 10-digit code, its name and its
//! prefecture. The code is the stream id; a code change (new owner, move) is a new institution.

use crate::aggregate::Aggregate;
use crate::codes::{InstitutionCode, PrefectureCode};
use crate::event::{DomainEvent, EventKind, Upcaster};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum InstitutionEvent {
    /// Schema 2 added `prefecture`; schema 1 payloads are upcast by deriving it from the code.
    InstitutionRegistered {
        code: InstitutionCode,
        name: String,
        prefecture: PrefectureCode,
    },
    InstitutionRenamed {
        name: String,
    },
    /// 医療機関コードの変更: this code is closed and `successor` carries on (new owner, move).
    /// Accounts of the old code are switched by a municipality (医療機関一括更新).
    InstitutionSucceeded {
        successor: InstitutionCode,
    },
}

/// InstitutionRegistered v1 → v2: v1 had no `prefecture`. The 医療機関コード opens with the
/// 都道府県番号, so the field is derived from the code rather than left empty.
fn registered_v1_to_v2(mut payload: Value) -> Result<Value, String> {
    let code = payload
        .get("code")
        .and_then(Value::as_str)
        .ok_or("InstitutionRegistered v1 without a code")?;
    let code = InstitutionCode::parse(code).map_err(|e| e.to_string())?;
    payload
        .as_object_mut()
        .ok_or("payload is not an object")?
        .insert(
            "prefecture".into(),
            Value::String(code.prefecture().to_string()),
        );
    Ok(payload)
}

impl DomainEvent for InstitutionEvent {
    const KINDS: &'static [EventKind] = &[
        EventKind {
            event_type: "InstitutionRegistered",
            schema_version: 2,
            upcasters: &[Upcaster {
                from: 1,
                upcast: registered_v1_to_v2,
            }],
        },
        EventKind::new("InstitutionRenamed"),
        EventKind::new("InstitutionSucceeded"),
    ];
}

#[derive(Debug, Clone, PartialEq)]
pub enum InstitutionCommand {
    Register {
        code: InstitutionCode,
        name: String,
    },
    Rename {
        name: String,
    },
    /// Link this (old) code to the code that replaces it; the successor must be registered.
    Succeed {
        successor: InstitutionCode,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstitutionError {
    #[error("only the operator maintains the institution master")]
    Forbidden,
    #[error("the institution is already registered")]
    AlreadyRegistered,
    #[error("the institution is not registered")]
    NotRegistered,
    #[error("an institution name must not be empty or longer than 200 characters")]
    InvalidName,
    #[error("the institution already has that name")]
    Unchanged,
    #[error("the institution already has a successor code")]
    AlreadySucceeded,
    #[error("an institution cannot succeed itself")]
    SelfSuccession,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Institution {
    pub code: Option<InstitutionCode>,
    pub name: String,
    pub prefecture: Option<PrefectureCode>,
    /// The code that replaced this one, once the code changed.
    pub successor: Option<InstitutionCode>,
}

fn valid_name(name: &str) -> Result<String, InstitutionError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(InstitutionError::InvalidName);
    }
    Ok(name.to_owned())
}

impl Aggregate for Institution {
    const STREAM_TYPE: &'static str = "institution";
    type Event = InstitutionEvent;
    type Command = InstitutionCommand;
    type Error = InstitutionError;

    fn decide(&self, command: &InstitutionCommand) -> Result<Vec<InstitutionEvent>, Self::Error> {
        match command {
            InstitutionCommand::Register { code, name } => {
                if self.code.is_some() {
                    return Err(InstitutionError::AlreadyRegistered);
                }
                Ok(vec![InstitutionEvent::InstitutionRegistered {
                    prefecture: code.prefecture(),
                    code: code.clone(),
                    name: valid_name(name)?,
                }])
            }
            InstitutionCommand::Rename { name } => {
                if self.code.is_none() {
                    return Err(InstitutionError::NotRegistered);
                }
                let name = valid_name(name)?;
                if name == self.name {
                    return Err(InstitutionError::Unchanged);
                }
                Ok(vec![InstitutionEvent::InstitutionRenamed { name }])
            }
            InstitutionCommand::Succeed { successor } => {
                if self.code.is_none() {
                    return Err(InstitutionError::NotRegistered);
                }
                if self.code.as_ref() == Some(successor) {
                    return Err(InstitutionError::SelfSuccession);
                }
                match &self.successor {
                    // Loading the same monthly update twice changes nothing.
                    Some(s) if s == successor => Ok(vec![]),
                    Some(_) => Err(InstitutionError::AlreadySucceeded),
                    None => Ok(vec![InstitutionEvent::InstitutionSucceeded {
                        successor: successor.clone(),
                    }]),
                }
            }
        }
    }

    fn apply(mut self, event: &InstitutionEvent) -> Self {
        match event {
            InstitutionEvent::InstitutionRegistered {
                code,
                name,
                prefecture,
            } => {
                self.code = Some(code.clone());
                self.name = name.clone();
                self.prefecture = Some(prefecture.clone());
            }
            InstitutionEvent::InstitutionRenamed { name } => self.name = name.clone(),
            InstitutionEvent::InstitutionSucceeded { successor } => {
                self.successor = Some(successor.clone())
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventCatalog;
    use serde_json::json;

    fn code() -> InstitutionCode {
        InstitutionCode::parse("0110113719").unwrap()
    }

    fn registered() -> InstitutionEvent {
        InstitutionEvent::InstitutionRegistered {
            code: code(),
            name: "札幌中央病院".into(),
            prefecture: code().prefecture(),
        }
    }

    #[test]
    fn given_nothing_when_register_then_registered_with_its_prefecture() {
        let events = Institution::default()
            .decide(&InstitutionCommand::Register {
                code: code(),
                name: " 札幌中央病院 ".into(),
            })
            .unwrap();
        assert_eq!(events, vec![registered()]);
    }

    #[test]
    fn given_registered_when_register_again_then_refused() {
        let state = Institution::fold(&[registered()]);
        let result = state.decide(&InstitutionCommand::Register {
            code: code(),
            name: "x".into(),
        });
        assert_eq!(result, Err(InstitutionError::AlreadyRegistered));
    }

    #[test]
    fn given_registered_when_renamed_then_renamed_and_same_name_refused() {
        let state = Institution::fold(&[registered()]);
        let events = state
            .decide(&InstitutionCommand::Rename {
                name: "札幌中央総合病院".into(),
            })
            .unwrap();
        assert_eq!(
            events,
            vec![InstitutionEvent::InstitutionRenamed {
                name: "札幌中央総合病院".into()
            }]
        );
        let state = state.apply(&events[0]);
        assert_eq!(state.name, "札幌中央総合病院");
        assert_eq!(
            state.decide(&InstitutionCommand::Rename {
                name: "札幌中央総合病院".into()
            }),
            Err(InstitutionError::Unchanged)
        );
    }

    #[test]
    fn given_nothing_when_renamed_or_named_blank_then_refused() {
        let state = Institution::default();
        assert_eq!(
            state.decide(&InstitutionCommand::Rename { name: "x".into() }),
            Err(InstitutionError::NotRegistered)
        );
        assert_eq!(
            state.decide(&InstitutionCommand::Register {
                code: code(),
                name: "  ".into()
            }),
            Err(InstitutionError::InvalidName)
        );
    }

    #[test]
    fn given_registered_when_succeeded_then_linked_once_and_a_second_successor_refused() {
        let state = Institution::fold(&[registered()]);
        let new = InstitutionCode::parse("0110113727").unwrap();
        let events = state
            .decide(&InstitutionCommand::Succeed {
                successor: new.clone(),
            })
            .unwrap();
        assert_eq!(
            events,
            vec![InstitutionEvent::InstitutionSucceeded {
                successor: new.clone()
            }]
        );
        let state = state.apply(&events[0]);
        assert_eq!(state.successor, Some(new.clone()));
        assert_eq!(
            state.decide(&InstitutionCommand::Succeed { successor: new }),
            Ok(vec![])
        );
        let other = InstitutionCode::parse("1310112345").unwrap();
        assert_eq!(
            state.decide(&InstitutionCommand::Succeed { successor: other }),
            Err(InstitutionError::AlreadySucceeded)
        );
        assert_eq!(
            state.decide(&InstitutionCommand::Succeed { successor: code() }),
            Err(InstitutionError::SelfSuccession)
        );
    }

    #[test]
    fn a_v1_registration_is_upcast_with_the_prefecture_from_its_code() {
        let catalog = EventCatalog::registry();
        let v1 = json!({"code": "1310112345", "name": "旧東京病院"});
        let (version, payload) = catalog.upcast("InstitutionRegistered", 1, v1).unwrap();
        assert_eq!(version, 2);
        assert_eq!(payload["prefecture"], "13");
        let event = InstitutionEvent::from_payload("InstitutionRegistered", &payload).unwrap();
        assert!(matches!(
            event,
            InstitutionEvent::InstitutionRegistered { prefecture, .. } if prefecture.as_str() == "13"
        ));
    }

    #[test]
    fn an_invalid_payload_is_refused_by_the_catalog() {
        let catalog = EventCatalog::registry();
        let bad_code = json!({"code": "0110113718", "name": "x", "prefecture": "01"});
        assert!(catalog
            .validate("InstitutionRegistered", 2, &bad_code)
            .is_err());
        let missing = json!({"code": "0110113719"});
        assert!(catalog
            .validate("InstitutionRegistered", 2, &missing)
            .is_err());
        assert!(catalog
            .validate(
                "InstitutionRegistered",
                2,
                &registered().to_payload().unwrap().2
            )
            .is_ok());
    }
}
