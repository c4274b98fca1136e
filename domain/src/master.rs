//! The master (マスタ): versions of the disease forms and their judgment rules. A version is
//! published whole and never edited; every form and judgment records the version it used, so
//! a replay years later gives the same result.

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::disease::DiseaseForm;
use crate::event::{DomainEvent, EventKind};
use crate::program::{Program, Role};

/// The one stream that holds every version of the disease master.
pub const DISEASE_MASTER_STREAM: &str = "diseases";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum MasterEvent {
    MasterVersionPublished {
        version: String,
        diseases: Vec<DiseaseForm>,
    },
}

impl DomainEvent for MasterEvent {
    const KINDS: &'static [EventKind] = &[EventKind::new("MasterVersionPublished")];
}

#[derive(Debug, Clone)]
pub struct PublishVersion {
    pub role: Role,
    pub version: String,
    pub diseases: Vec<DiseaseForm>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MasterError {
    #[error("only the operator publishes master versions")]
    Forbidden,
    #[error("master version {0} is already published")]
    VersionExists(String),
    #[error("a master version name is 1-64 characters of letters, digits, '.', '-' and '_'")]
    InvalidVersion,
    #[error("the master is not valid: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

/// A master version's name: 1-64 letters, digits, '.', '-' and '_'.
pub fn valid_version_name(version: &str) -> bool {
    !version.is_empty()
        && version.len() <= 64
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// Every published version, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiseaseMaster {
    pub versions: Vec<(String, Vec<DiseaseForm>)>,
}

impl DiseaseMaster {
    /// The disease form of `version`, or — when `None` — of the latest version that has the
    /// disease: a version may publish only the diseases it adds or changes, and the others stay
    /// in force as last published.
    pub fn find(
        &self,
        version: Option<&str>,
        program: Program,
        code: &str,
        form_version: &str,
    ) -> Option<(&str, &DiseaseForm)> {
        let matches = |d: &&DiseaseForm| {
            d.program == program && d.code == code && d.form_version == form_version
        };
        match version {
            Some(version) => {
                let (v, diseases) = self.versions.iter().find(|(v, _)| v == version)?;
                diseases.iter().find(matches).map(|d| (v.as_str(), d))
            }
            None => {
                self.versions.iter().rev().find_map(|(v, diseases)| {
                    diseases.iter().find(matches).map(|d| (v.as_str(), d))
                })
            }
        }
    }

    /// Every disease in force: each at its latest published version.
    pub fn in_force(&self) -> Vec<(&str, &DiseaseForm)> {
        let mut out: Vec<(&str, &DiseaseForm)> = Vec::new();
        for (v, diseases) in self.versions.iter().rev() {
            for d in diseases {
                let seen = out.iter().any(|(_, o)| {
                    o.program == d.program && o.code == d.code && o.form_version == d.form_version
                });
                if !seen {
                    out.push((v.as_str(), d));
                }
            }
        }
        out
    }

    pub fn latest(&self) -> Option<&(String, Vec<DiseaseForm>)> {
        self.versions.last()
    }
}

impl Aggregate for DiseaseMaster {
    const STREAM_TYPE: &'static str = "master";
    type Event = MasterEvent;
    type Command = PublishVersion;
    type Error = MasterError;

    fn decide(&self, c: &PublishVersion) -> Result<Vec<MasterEvent>, MasterError> {
        if !matches!(c.role, Role::Operator | Role::System) {
            return Err(MasterError::Forbidden);
        }
        if !valid_version_name(&c.version) {
            return Err(MasterError::InvalidVersion);
        }
        if self.versions.iter().any(|(v, _)| *v == c.version) {
            return Err(MasterError::VersionExists(c.version.clone()));
        }
        let mut problems = Vec::new();
        for (i, d) in c.diseases.iter().enumerate() {
            if let Err(p) = d.validate() {
                problems.extend(
                    p.into_iter()
                        .map(|p| format!("{} {}: {p}", d.program, d.code)),
                );
            }
            if c.diseases[..i].iter().any(|o| {
                o.program == d.program && o.code == d.code && o.form_version == d.form_version
            }) {
                problems.push(format!(
                    "{} {} {} appears twice",
                    d.program, d.code, d.form_version
                ));
            }
        }
        if c.diseases.is_empty() {
            problems.push("a version needs at least one disease".into());
        }
        if !problems.is_empty() {
            return Err(MasterError::Invalid(problems));
        }
        Ok(vec![MasterEvent::MasterVersionPublished {
            version: c.version.clone(),
            diseases: c.diseases.clone(),
        }])
    }

    fn apply(mut self, event: &MasterEvent) -> Self {
        let MasterEvent::MasterVersionPublished { version, diseases } = event;
        self.versions.push((version.clone(), diseases.clone()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disease::shipped;

    fn publish(role: Role, version: &str, diseases: Vec<DiseaseForm>) -> PublishVersion {
        PublishVersion {
            role,
            version: version.into(),
            diseases,
        }
    }

    #[test]
    fn the_operator_publishes_versions_that_are_never_replaced() {
        let m = DiseaseMaster::default();
        let events = m
            .decide(&publish(Role::Operator, "2024-04-01.1", shipped()))
            .unwrap();
        let m = DiseaseMaster::fold(&events);
        assert!(m.find(None, Program::Nanbyo, "6", "2024-04-01").is_some());
        assert_eq!(
            m.decide(&publish(Role::Operator, "2024-04-01.1", shipped())),
            Err(MasterError::VersionExists("2024-04-01.1".into()))
        );
        assert_eq!(
            m.decide(&publish(Role::DesignatedDoctor, "x", shipped())),
            Err(MasterError::Forbidden)
        );
    }

    #[test]
    fn an_incoherent_master_is_refused_with_its_problems() {
        let mut bad = shipped();
        bad[0].rules.severity = Some(crate::judgment::Condition::Present {
            item: "no.such.item".into(),
        });
        match DiseaseMaster::default().decide(&publish(Role::Operator, "v2", bad)) {
            Err(MasterError::Invalid(p)) => assert!(p.iter().any(|p| p.contains("no.such.item"))),
            other => panic!("{other:?}"),
        }
    }
}
