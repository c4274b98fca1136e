//! The master (マスタ): versions of the disease forms and their judgment rules. A version is
//! published whole and never edited; every form and judgment records the version it used, so
//! a replay years later gives the same result.

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::disease::DiseaseForm;
use crate::event::{DomainEvent, EventKind, Upcaster};
use crate::judgment::{ConsistencyRule, ItemDef};
use crate::program::{Program, Role};

/// The one stream that holds every version of the disease master.
pub const DISEASE_MASTER_STREAM: &str = "diseases";

/// In memory every disease is whole (the layout's items and consistency rules, then its own);
/// stored, what the diseases composed with one layout share is written once (schema version 2,
/// see [`Stored`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "Stored", from = "Stored")]
pub enum MasterEvent {
    MasterVersionPublished {
        version: String,
        diseases: Vec<DiseaseForm>,
    },
}

impl DomainEvent for MasterEvent {
    const KINDS: &'static [EventKind] = &[EventKind {
        event_type: "MasterVersionPublished",
        schema_version: 2,
        // Version 1 stored every disease whole: a valid version 2 with nothing shared.
        upcasters: &[Upcaster {
            from: 1,
            upcast: Ok,
        }],
    }];
}

/// The stored shape of [`MasterEvent`]. A whole catalogue repeats the shared layout in each of
/// its 1,148 diseases (7.5 MB of 8); stored, the items and consistency rules that every disease
/// composed with layout `L` begins with are written once under `shared`, and each of those
/// diseases keeps only what follows. Reading puts them back in front: the diseases read are
/// exactly the diseases written, whatever the layout holds.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type")]
enum Stored {
    MasterVersionPublished {
        version: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        shared: Vec<SharedPrefix>,
        diseases: Vec<DiseaseForm>,
    },
}

/// What every disease of `layout` in one version begins with.
#[derive(Serialize, Deserialize)]
struct SharedPrefix {
    layout: String,
    items: Vec<ItemDef>,
    consistency: Vec<ConsistencyRule>,
}

/// How many elements every list begins with alike.
fn common_prefix<'a, T: PartialEq + 'a>(mut lists: impl Iterator<Item = &'a [T]>) -> usize {
    let Some(first) = lists.next() else { return 0 };
    lists.fold(first.len(), |n, l| {
        first[..n].iter().zip(l).take_while(|(a, b)| a == b).count()
    })
}

impl From<MasterEvent> for Stored {
    fn from(event: MasterEvent) -> Self {
        let MasterEvent::MasterVersionPublished {
            version,
            mut diseases,
        } = event;
        let mut layouts: Vec<String> = diseases.iter().filter_map(|d| d.layout.clone()).collect();
        layouts.sort();
        layouts.dedup();
        let mut shared = Vec::new();
        for layout in layouts {
            let of = |d: &&DiseaseForm| d.layout.as_deref() == Some(&layout);
            if diseases.iter().filter(of).count() < 2 {
                continue;
            }
            let items = common_prefix(diseases.iter().filter(of).map(|d| d.items.as_slice()));
            let consistency = common_prefix(
                diseases
                    .iter()
                    .filter(of)
                    .map(|d| d.rules.consistency.as_slice()),
            );
            let Some(first) = diseases.iter().find(of) else {
                continue;
            };
            shared.push(SharedPrefix {
                items: first.items[..items].to_vec(),
                consistency: first.rules.consistency[..consistency].to_vec(),
                layout: layout.clone(),
            });
            for d in diseases
                .iter_mut()
                .filter(|d| d.layout.as_deref() == Some(&layout))
            {
                d.items.drain(..items);
                d.rules.consistency.drain(..consistency);
            }
        }
        Stored::MasterVersionPublished {
            version,
            shared,
            diseases,
        }
    }
}

impl From<Stored> for MasterEvent {
    fn from(stored: Stored) -> Self {
        let Stored::MasterVersionPublished {
            version,
            shared,
            mut diseases,
        } = stored;
        for prefix in &shared {
            for d in diseases
                .iter_mut()
                .filter(|d| d.layout.as_deref() == Some(&prefix.layout))
            {
                let mut items = prefix.items.clone();
                items.append(&mut d.items);
                d.items = items;
                let mut consistency = prefix.consistency.clone();
                consistency.append(&mut d.rules.consistency);
                d.rules.consistency = consistency;
            }
        }
        MasterEvent::MasterVersionPublished { version, diseases }
    }
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
    /// (program, code, form version) → every (version, disease) position that has it, in
    /// publication order: a lookup reads the entries of one disease, not the whole catalogue.
    index: std::collections::HashMap<(Program, String, String), Vec<(usize, usize)>>,
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
        let found = self.entries(program, code, form_version);
        match version {
            Some(version) => found.filter(|(v, _)| *v == version).last(),
            None => found.last(),
        }
    }

    /// The entries of one disease in publication order, with their version names.
    fn entries<'a>(
        &'a self,
        program: Program,
        code: &str,
        form_version: &str,
    ) -> impl Iterator<Item = (&'a str, &'a DiseaseForm)> + 'a {
        self.index
            .get(&(program, code.to_owned(), form_version.to_owned()))
            .into_iter()
            .flatten()
            .map(|&(v, d)| (self.versions[v].0.as_str(), &self.versions[v].1[d]))
    }

    /// The disease form a new form started on `day` (`YYYY-MM-DD`, Japan) uses: among the
    /// entries already in effect that day (`effective_from` not after it), the one of the latest
    /// edition (`effective_from`), and of that edition the latest published version. A disease
    /// added by an edition cannot be started before the edition takes effect.
    pub fn find_on(
        &self,
        program: Program,
        code: &str,
        form_version: &str,
        day: &str,
    ) -> Option<(&str, &DiseaseForm)> {
        let mut best: Option<(&str, &DiseaseForm)> = None;
        for (v, d) in self.entries(program, code, form_version) {
            if d.effective_from.as_deref().is_some_and(|from| from > day) {
                continue;
            }
            // Later versions win ties: `>=`.
            if best.is_none_or(|(_, b)| d.effective_from >= b.effective_from) {
                best = Some((v, d));
            }
        }
        best
    }

    /// The disease form an existing form keeps using: the latest published version of the
    /// edition the form started under (`effective_from` of the master it was judged with), so a
    /// later edition (a renamed disease) never moves a form that was started before it.
    pub fn find_for_form(
        &self,
        program: Program,
        code: &str,
        form_version: &str,
        judged_with: Option<&str>,
    ) -> Option<(&str, &DiseaseForm)> {
        let edition = judged_with
            .and_then(|v| self.find(Some(v), program, code, form_version))
            .map(|(_, d)| d.effective_from.clone());
        match edition {
            None => self.find(None, program, code, form_version),
            Some(edition) => self
                .entries(program, code, form_version)
                .filter(|(_, d)| d.effective_from == edition)
                .last(),
        }
    }

    /// Every disease in force: each at its latest published version.
    pub fn in_force(&self) -> Vec<(&str, &DiseaseForm)> {
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<(&str, &DiseaseForm)> = Vec::new();
        for (v, diseases) in self.versions.iter().rev() {
            for d in diseases {
                if seen.insert((d.program, d.code.as_str(), d.form_version.as_str())) {
                    out.push((v.as_str(), d));
                }
            }
        }
        out
    }

    /// Every disease a new form may be started for on `day`: each as [`Self::find_on`] picks it.
    pub fn in_force_on(&self, day: &str) -> Vec<(&str, &DiseaseForm)> {
        let mut best: std::collections::HashMap<(Program, &str, &str), (&str, &DiseaseForm)> =
            std::collections::HashMap::new();
        let mut order = Vec::new();
        for (v, diseases) in &self.versions {
            for d in diseases {
                if d.effective_from.as_deref().is_some_and(|from| from > day) {
                    continue;
                }
                let key = (d.program, d.code.as_str(), d.form_version.as_str());
                match best.get(&key) {
                    Some((_, b)) if d.effective_from < b.effective_from => {}
                    Some(_) => {
                        best.insert(key, (v.as_str(), d));
                    }
                    None => {
                        order.push(key);
                        best.insert(key, (v.as_str(), d));
                    }
                }
            }
        }
        order
            .into_iter()
            .filter_map(|k| best.get(&k).copied())
            .collect()
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
        let v = self.versions.len();
        for (i, d) in diseases.iter().enumerate() {
            self.index
                .entry((d.program, d.code.clone(), d.form_version.clone()))
                .or_default()
                .push((v, i));
        }
        self.versions.push((version.clone(), diseases.clone()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disease::shipped;
    use crate::event::EventCatalog;

    const PUBLISHED: &str = "MasterVersionPublished";

    fn stored(diseases: &[DiseaseForm]) -> (MasterEvent, u32, serde_json::Value) {
        let event = MasterEvent::MasterVersionPublished {
            version: "2024-04-01.1".into(),
            diseases: diseases.to_vec(),
        };
        let (event_type, version, payload) = event.to_payload().expect("payload");
        assert_eq!(event_type, PUBLISHED);
        (event, version, payload)
    }

    #[test]
    fn a_stored_version_holds_the_shared_layout_once_and_reads_back_whole() {
        let diseases = shipped();
        let (event, version, payload) = stored(&diseases);
        assert_eq!(version, 2);
        let whole = serde_json::to_vec(&diseases).expect("json").len();
        let written = serde_json::to_vec(&payload).expect("json").len();
        assert!(
            written * 3 < whole,
            "the layout is written once: {written} bytes stored for {whole} whole"
        );
        assert_eq!(payload["shared"].as_array().map(Vec::len), Some(1));
        assert_eq!(MasterEvent::from_payload(PUBLISHED, &payload), Ok(event));
        // What the store checks before appending: the payload is the type's canonical form.
        assert_eq!(
            EventCatalog::registry().validate(PUBLISHED, version, &payload),
            Ok(())
        );
    }

    #[test]
    fn a_version_1_payload_of_whole_diseases_reads_as_the_same_diseases() {
        let diseases: Vec<DiseaseForm> = shipped().into_iter().take(5).collect();
        let v1 = serde_json::json!({"version": "2024-04-01", "diseases": diseases});
        let (version, payload) = EventCatalog::registry()
            .upcast(PUBLISHED, 1, v1)
            .expect("upcast");
        assert_eq!(version, 2);
        let MasterEvent::MasterVersionPublished { diseases: read, .. } =
            MasterEvent::from_payload(PUBLISHED, &payload).expect("read");
        assert_eq!(read, diseases);
    }

    #[test]
    fn a_disease_alone_with_its_layout_or_without_one_is_stored_whole() {
        let mut diseases: Vec<DiseaseForm> = shipped().into_iter().take(3).collect();
        let mut alone = diseases[0].clone();
        alone.code = "9001".into();
        alone.layout = Some("2030-04-01".into());
        let mut none = diseases[1].clone();
        none.code = "9002".into();
        none.layout = None;
        // Two of one layout that share less than the layout: only the common part is shared.
        diseases[2].items.remove(5);
        diseases.extend([alone.clone(), none.clone()]);
        let (event, _, payload) = stored(&diseases);
        let written: Vec<DiseaseForm> =
            serde_json::from_value(payload["diseases"].clone()).expect("diseases");
        assert_eq!(written[3].items, alone.items, "alone with its layout");
        assert_eq!(written[4].items, none.items, "without a layout");
        assert_eq!(
            payload["shared"][0]["items"].as_array().map(Vec::len),
            Some(5)
        );
        assert_eq!(written[2].items.len(), diseases[2].items.len() - 5);
        assert_eq!(MasterEvent::from_payload(PUBLISHED, &payload), Ok(event));
    }

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
