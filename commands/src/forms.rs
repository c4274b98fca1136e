//! Form and master commands and queries: the master in force is looked up for every form
//! command, the actor's scope is checked by the aggregate, and reads of a form are scoped the
//! same way.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::audit::{AccessEvent, FORM_READS};
use domain::disease::{shipped, DiseaseForm};
use domain::form::{
    carry_over_items, Actor, Application, CarryOver, ClinicalForm, FormAction, FormCommand,
    FormError, FormEvent, Patient,
};
use domain::institution::Institution;
use domain::judgment::Purpose;
use domain::master::{DiseaseMaster, MasterError, PublishVersion, DISEASE_MASTER_STREAM};
use domain::municipality::{
    ImplementingBody, Municipalities, MunicipalityMaster, PublishMunicipalities,
    MUNICIPALITY_MASTER_STREAM,
};
use domain::{Aggregate, Program, Role};
use domain::{InstitutionCode, LocalGovernmentCode};
use eventstore::{EventStore, IdempotencyKey, Metadata, StoreError, StreamId};
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use tokio::sync::RwLock;

use crate::{execute, CommandError, Outcome};

/// The disease master and the 実施主体 list as last read from their streams. A command that
/// needs a disease the cache does not have reads the streams at once; otherwise the cache looks
/// for newer versions at most every `MASTER_REFRESH`, so a version published by another
/// instance is in force here within that time, without a database read on every command.
#[derive(Default)]
pub struct MasterCache {
    inner: RwLock<(DiseaseMaster, u64)>,
    /// One value derived from the master on one day (the disease search index), rebuilt when a
    /// version is published or the day changes.
    derived: std::sync::Mutex<Option<Derived>>,
    municipalities: RwLock<(MunicipalityMaster, u64)>,
    refreshed: std::sync::Mutex<Option<std::time::Instant>>,
}

type Derived = (
    u64,
    String,
    std::any::TypeId,
    Arc<dyn std::any::Any + Send + Sync>,
);

pub const MASTER_REFRESH: std::time::Duration = std::time::Duration::from_secs(1);

/// Applies the events of `stream` after the cached version to the cached aggregate.
async fn catch_up<A: Aggregate + Default>(
    store: &Arc<dyn EventStore>,
    stream: &StreamId,
    cached: &RwLock<(A, u64)>,
) -> Result<(), StoreError> {
    let from = cached.read().await.1 + 1;
    // Read without holding the lock: commands keep using the cached master meanwhile.
    let events = store.read_stream(stream, from).await?;
    if events.is_empty() {
        return Ok(());
    }
    let mut guard = cached.write().await;
    for e in &events {
        // Another refresh may have applied it meanwhile.
        if e.version <= guard.1 {
            continue;
        }
        let event = e.decode().map_err(StoreError::InvalidEvent)?;
        let master = std::mem::take(&mut guard.0);
        guard.0 = master.apply(&event);
        guard.1 = e.version;
    }
    Ok(())
}

impl MasterCache {
    pub async fn refresh(&self, store: &Arc<dyn EventStore>) -> Result<(), StoreError> {
        catch_up(store, &master_stream(), &self.inner).await?;
        catch_up(store, &municipality_stream(), &self.municipalities).await?;
        *self.refreshed.lock().unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now());
        Ok(())
    }

    fn fresh(&self) -> bool {
        self.refreshed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|t| t.elapsed() < MASTER_REFRESH)
    }

    /// The disease form `pick` names, with its master version's name: for a new form, the
    /// entry in effect on the day it is started; for an existing form, the latest version of
    /// the edition it was started under (a later edition never moves it).
    pub async fn disease(
        &self,
        store: &Arc<dyn EventStore>,
        program: Program,
        code: &str,
        form_version: &str,
        pick: Pick<'_>,
    ) -> Result<Option<(DiseaseForm, String)>, StoreError> {
        let found = |master: &DiseaseMaster| {
            match pick {
                Pick::StartedOn(day) => master.find_on(program, code, form_version, day),
                Pick::JudgedWith(version) => {
                    master.find_for_form(program, code, form_version, version)
                }
            }
            .map(|(v, d)| (d.clone(), v.to_owned()))
        };
        if self.fresh() {
            if let Some(hit) = found(&self.inner.read().await.0) {
                return Ok(Some(hit));
            }
        }
        self.refresh(store).await?;
        Ok(found(&self.inner.read().await.0))
    }

    /// The diseases of `program` a new form may be started for on `day`, with their master
    /// versions: for the disease list, without cloning the whole master.
    pub async fn diseases_on(
        &self,
        store: &Arc<dyn EventStore>,
        program: Option<Program>,
        day: &str,
    ) -> Result<Vec<(DiseaseForm, String)>, StoreError> {
        if !self.fresh() {
            self.refresh(store).await?;
        }
        let guard = self.inner.read().await;
        Ok(guard
            .0
            .in_force_on(day)
            .into_iter()
            .filter(|(_, d)| program.is_none_or(|p| p == d.program))
            .map(|(v, d)| (d.clone(), v.to_owned()))
            .collect())
    }

    /// A value derived from the master in force on `day` (an index for the disease search),
    /// built once per published version and day: `build` runs again only when either changed.
    pub async fn derived<T: std::any::Any + Send + Sync>(
        &self,
        store: &Arc<dyn EventStore>,
        day: &str,
        build: impl FnOnce(&DiseaseMaster) -> T,
    ) -> Result<Arc<T>, StoreError> {
        if !self.fresh() {
            self.refresh(store).await?;
        }
        let guard = self.inner.read().await;
        let kind = std::any::TypeId::of::<T>();
        let mut slot = self.derived.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((version, on, k, value)) = slot.as_ref() {
            if *version == guard.1 && on == day && *k == kind {
                if let Ok(hit) = value.clone().downcast::<T>() {
                    return Ok(hit);
                }
            }
        }
        let value = Arc::new(build(&guard.0));
        *slot = Some((guard.1, day.to_owned(), kind, value.clone()));
        Ok(value)
    }

    /// The 実施主体 list in force (see `MunicipalityMaster::checked_against`).
    pub async fn municipalities(
        &self,
        store: &Arc<dyn EventStore>,
    ) -> Result<Arc<Municipalities>, StoreError> {
        if !self.fresh() || self.municipalities.read().await.0.versions.is_empty() {
            self.refresh(store).await?;
        }
        let guard = self.municipalities.read().await;
        Ok(Arc::new(guard.0.checked_against()))
    }

    /// The name of the latest published master version.
    pub async fn latest_version(&self) -> Option<String> {
        self.inner.read().await.0.latest().map(|(v, _)| v.clone())
    }

    pub async fn snapshot(&self) -> DiseaseMaster {
        self.inner.read().await.0.clone()
    }

    pub async fn municipality_snapshot(&self) -> MunicipalityMaster {
        self.municipalities.read().await.0.clone()
    }
}

fn municipality_stream() -> StreamId {
    StreamId {
        stream_type: MunicipalityMaster::STREAM_TYPE.into(),
        id: MUNICIPALITY_MASTER_STREAM.into(),
    }
}

fn master_stream() -> StreamId {
    StreamId {
        stream_type: DiseaseMaster::STREAM_TYPE.into(),
        id: DISEASE_MASTER_STREAM.into(),
    }
}

/// Which disease form a command uses (see [`MasterCache::disease`]).
#[derive(Debug, Clone, Copy)]
pub enum Pick<'a> {
    /// A new form started on this day (`YYYY-MM-DD`, Japan).
    StartedOn(&'a str),
    /// An existing form, judged with this master version (none: the latest of the first edition).
    JudgedWith(Option<&'a str>),
}

impl<'a> Pick<'a> {
    /// The pick for an existing form.
    pub fn form(form: &'a ClinicalForm) -> Self {
        Pick::JudgedWith(
            form.judgment
                .as_ref()
                .map(|(_, m)| m.master_version.as_str()),
        )
    }
}

/// The name under which the master shipped with this release is published: its content hash,
/// so a release with changed masters publishes a new version and an unchanged one nothing.
pub fn shipped_version() -> String {
    content_version(&shipped())
}

/// Every shipped edition with the name it is published under, oldest first.
pub fn shipped_versions() -> Vec<(String, Vec<DiseaseForm>)> {
    domain::catalogue::shipped_editions()
        .into_iter()
        .map(|e| (content_version(&e.diseases), e.diseases))
        .collect()
}

/// `shipped-<first 12 hex digits of the content's SHA-256>`.
fn content_version(content: &impl Serialize) -> String {
    let text = serde_json::to_string(content).unwrap_or_default();
    format!(
        "shipped-{}",
        &hex::encode(Sha256::digest(text.as_bytes()))[..12]
    )
}

/// Appends a master version (diseases or 実施主体) to its one stream, and brings the cache up
/// to it.
async fn publish<A: Aggregate<Error = MasterError>>(
    store: &Arc<dyn EventStore>,
    cache: &MasterCache,
    stream_id: &str,
    command: &A::Command,
    metadata: Metadata,
    key: Option<&IdempotencyKey>,
) -> Result<Outcome, CommandError<MasterError>> {
    let outcome = execute::<A>(store, stream_id, command, metadata, None, key).await?;
    cache.refresh(store).await?;
    Ok(outcome)
}

/// Publishes each shipped edition of the master (the 2024-04 catalogue, then the 2025-04
/// changes, in force from 2025-04-01) that is not in the store yet, oldest first, as an operator
/// would publish it: a new version per edition. Answers the versions published.
pub async fn publish_shipped(
    store: &Arc<dyn EventStore>,
    cache: &MasterCache,
) -> Result<Vec<String>, CommandError<MasterError>> {
    cache.refresh(store).await?;
    publish_shipped_municipalities(store, cache).await?;
    publish_versions(store, cache, shipped_versions()).await
}

/// Publishes each of `versions` (name, diseases) that is not in the store yet, in order, as
/// the system; answers the versions published. Start-up publishes the shipped editions this way.
pub async fn publish_versions(
    store: &Arc<dyn EventStore>,
    cache: &MasterCache,
    versions: Vec<(String, Vec<DiseaseForm>)>,
) -> Result<Vec<String>, CommandError<MasterError>> {
    cache.refresh(store).await?;
    let mut published = Vec::new();
    for (version, diseases) in versions {
        if cache
            .inner
            .read()
            .await
            .0
            .versions
            .iter()
            .any(|(v, _)| *v == version)
        {
            continue;
        }
        let key = IdempotencyKey::parse(&format!("publish-{version}"))?;
        let command = PublishVersion {
            role: Role::System,
            version: version.clone(),
            diseases,
        };
        let metadata = Metadata::new("system", Role::System, None)
            .with_reason("master shipped with this release");
        publish::<DiseaseMaster>(
            store,
            cache,
            DISEASE_MASTER_STREAM,
            &command,
            metadata,
            Some(&key),
        )
        .await?;
        published.push(version);
    }
    Ok(published)
}

/// Publishes the 実施主体 list shipped with this release, under its content hash, if no list has
/// been published yet. Unlike the disease master, a later release's list does not replace one
/// in force: the operator's list may be newer than the release (a city designated since).
async fn publish_shipped_municipalities(
    store: &Arc<dyn EventStore>,
    cache: &MasterCache,
) -> Result<(), CommandError<MasterError>> {
    if !cache.municipality_snapshot().await.versions.is_empty() {
        return Ok(());
    }
    let bodies = domain::municipality::shipped();
    let version = content_version(&bodies);
    let key = IdempotencyKey::parse(&format!("publish-municipalities-{version}"))?;
    let command = PublishMunicipalities {
        role: Role::System,
        version: version.clone(),
        bodies,
    };
    let metadata = Metadata::new("system", Role::System, None)
        .with_reason("実施主体 list shipped with this release");
    publish::<MunicipalityMaster>(
        store,
        cache,
        MUNICIPALITY_MASTER_STREAM,
        &command,
        metadata,
        Some(&key),
    )
    .await?;
    tracing::info!(version, "published the shipped 実施主体 list");
    Ok(())
}

/// An operator publishes a new version of the 実施主体 list, whole.
pub async fn publish_municipalities(
    store: &Arc<dyn EventStore>,
    cache: &MasterCache,
    actor: &Actor,
    version: String,
    bodies: Vec<ImplementingBody>,
    key: Option<&IdempotencyKey>,
) -> Result<Outcome, CommandError<MasterError>> {
    let command = PublishMunicipalities {
        role: actor.role,
        version,
        bodies,
    };
    let metadata = Metadata::new(actor.account.clone(), actor.role, None);
    let key = scoped_key(actor, key)?;
    publish::<MunicipalityMaster>(
        store,
        cache,
        MUNICIPALITY_MASTER_STREAM,
        &command,
        metadata,
        key.as_ref(),
    )
    .await
}

/// An operator publishes a new master version.
pub async fn publish_version(
    store: &Arc<dyn EventStore>,
    cache: &MasterCache,
    actor: &Actor,
    version: String,
    diseases: Vec<DiseaseForm>,
    key: Option<&IdempotencyKey>,
) -> Result<Outcome, CommandError<MasterError>> {
    let command = PublishVersion {
        role: actor.role,
        version,
        diseases,
    };
    let metadata = Metadata::new(actor.account.clone(), actor.role, None);
    let key = scoped_key(actor, key)?;
    publish::<DiseaseMaster>(
        store,
        cache,
        DISEASE_MASTER_STREAM,
        &command,
        metadata,
        key.as_ref(),
    )
    .await
}

/// A client's idempotency key, scoped to the acting account: two accounts that happen to
/// choose the same key never see each other's result.
pub fn scoped_key(
    actor: &Actor,
    key: Option<&IdempotencyKey>,
) -> Result<Option<IdempotencyKey>, StoreError> {
    key.map(|k| {
        let digest = Sha256::digest(format!("{}\u{0}{}", actor.account, k.as_str()).as_bytes());
        let scoped = IdempotencyKey::parse(&format!("k-{}", hex::encode(digest)))?;
        Ok(match k.fingerprint() {
            Some(f) => scoped.with_fingerprint(f),
            None => scoped,
        })
    })
    .transpose()
}

/// Today's date in Japan (UTC+9, no daylight saving), as the master's dates are meant.
pub fn today_in_japan() -> String {
    (Utc::now() + chrono::Duration::hours(9))
        .format("%Y-%m-%d")
        .to_string()
}

/// A fresh アクセスキー: 12 characters of an unambiguous alphabet (60 random bits).
pub fn new_access_key() -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let alphabet = domain::form::ACCESS_KEY_ALPHABET;
    // Bytes 6 and 8 carry the UUID's version and variant bits: skip them (12 × 5 = 60 bits).
    [0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 13]
        .iter()
        .map(|&i| alphabet[usize::from(bytes[i] & 31)] as char)
        .collect()
}

/// A request to create a form.
#[derive(Debug, Clone, Deserialize)]
pub struct CreateForm {
    pub disease: String,
    #[serde(default = "current_form_version")]
    pub form_version: String,
    pub application: Application,
    pub purpose: Purpose,
    pub institution: InstitutionCode,
    pub jurisdiction: LocalGovernmentCode,
    /// Optional when carrying over: the previous form's patient is used.
    pub patient: Option<Patient>,
    pub research_consent: bool,
    #[serde(default)]
    pub items: BTreeMap<String, Value>,
    /// 前回値踏襲: start from this earlier form of the same patient and disease, or — `latest` —
    /// from that patient's latest form of the disease the caller may read (the patient must
    /// then be given).
    pub carry_over_from: Option<String>,
}

fn current_form_version() -> String {
    "2024-04-01".into()
}

/// What every new form needs: its id (derived from the idempotency key, so a retry lands on
/// the same form), the scoped key, and the master of its disease; the institution it names
/// must be registered.
struct NewForm {
    id: String,
    key: Option<IdempotencyKey>,
    master: (DiseaseForm, String),
    municipalities: Arc<Municipalities>,
}

async fn new_form(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    actor: &Actor,
    req: &CreateForm,
    key: Option<&IdempotencyKey>,
) -> Result<NewForm, CommandError<FormError>> {
    let key = scoped_key(actor, key)?;
    let id = match &key {
        Some(k) => {
            uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, k.as_str().as_bytes()).to_string()
        }
        None => uuid::Uuid::now_v7().to_string(),
    };
    let today = today_in_japan();
    let master = masters
        .disease(
            store,
            actor.program,
            &req.disease,
            &req.form_version,
            Pick::StartedOn(&today),
        )
        .await?
        .ok_or(CommandError::Rejected(FormError::UnknownDisease))?;
    let (institution, _) = crate::load::<Institution>(store, req.institution.as_str())
        .await
        .map_err(|e| match e {
            CommandError::Store(e) => CommandError::Store(e),
            CommandError::Unreadable(e) => CommandError::Unreadable(e),
            CommandError::Rejected(_) => CommandError::Rejected(FormError::UnknownInstitution),
        })?;
    if institution.code.is_none() {
        return Err(CommandError::Rejected(FormError::UnknownInstitution));
    }
    let municipalities = masters.municipalities(store).await?;
    Ok(NewForm {
        id,
        key,
        master,
        municipalities,
    })
}

/// Creates a draft: the disease's master in force, a registered institution, optionally the
/// patient's previous form to start from; returns the new form's id and the outcome. With an
/// idempotency key, the id is derived from it, so a retry lands on the same form. A previous
/// form the caller may not read is refused as not found, and the attempt recorded (`origin`:
/// the client's address).
pub async fn create_form(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    actor: Actor,
    req: CreateForm,
    key: Option<&IdempotencyKey>,
    origin: Option<&str>,
) -> Result<(String, Outcome), CommandError<FormError>> {
    let NewForm {
        id,
        key,
        master,
        municipalities,
    } = new_form(store, masters, &actor, &req, key).await?;
    let carry_over_from = match req.carry_over_from.as_deref() {
        Some(LATEST) => Some(latest_form_of_patient(store, &actor, &req).await?),
        other => other.map(str::to_owned),
    };
    let (patient, items, carried_over) = match &carry_over_from {
        None => (req.patient, req.items, None),
        Some(from) => {
            // The form to start from is read (a refusal is recorded); its read is the new form.
            let previous =
                view_form_recording(store, &actor, from, None, None, "carry_over", origin).await?;
            if previous.program != Some(master.0.program) || previous.disease != master.0.code {
                return Err(CommandError::Rejected(FormError::CarryOverMismatch));
            }
            // The items of one patient never start another patient's form, and a withdrawn
            // form is no basis for a new one.
            let same_person = match (&req.patient, &previous.patient) {
                (Some(new), Some(old)) => {
                    new.birth_date == old.birth_date && new.name_kana == old.name_kana
                }
                _ => true,
            };
            if !same_person || previous.status == Some(domain::form::Status::Withdrawn) {
                return Err(CommandError::Rejected(FormError::CarryOverMismatch));
            }
            let (mut items, dropped_items) = carry_over_items(&previous.items, &master.0);
            items.extend(req.items);
            let origin = CarryOver {
                from_form: from.clone(),
                dropped_items,
            };
            (req.patient.or(previous.patient), items, Some(origin))
        }
    };
    let patient = patient.ok_or(CommandError::Rejected(FormError::Invalid(
        "the patient is required",
    )))?;
    let action = FormAction::Draft {
        master: std::sync::Arc::new(master),
        municipalities,
        application: req.application,
        purpose: req.purpose,
        institution: req.institution,
        jurisdiction: req.jurisdiction,
        patient: Box::new(patient),
        research_consent: req.research_consent,
        items,
        carried_over,
        paper: None,
        imported: None,
    };
    let outcome = run_form_command(store, &id, actor, None, action, None, key.as_ref()).await?;
    Ok((id, outcome))
}

/// `carry_over_from: "latest"`: start from the patient's latest form of the disease.
pub const LATEST: &str = "latest";

/// The patient's latest form of the request's disease that `actor` may read and that was not
/// withdrawn, found through the search view (waited for, bounded, so a form drafted a moment ago
/// counts).
async fn latest_form_of_patient(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    req: &CreateForm,
) -> Result<String, CommandError<FormError>> {
    let patient = req
        .patient
        .as_ref()
        .ok_or(CommandError::Rejected(FormError::Invalid(
            "carrying over the latest form needs the patient",
        )))?;
    crate::view_caught_up(
        store,
        projections::forms::NAME,
        std::time::Duration::from_secs(5),
    )
    .await?;
    let program = actor.program;
    let forms =
        projections::forms::of_patient(&store.sql(), program.as_str(), &patient.key(program))
            .await
            .map_err(StoreError::from)?;
    for form in forms
        .iter()
        .filter(|f| f.disease == req.disease && f.status != "withdrawn")
    {
        // Newest first; the first one the caller may read.
        match view_form(store, actor, &form.form_id, None, None).await {
            Ok(_) => return Ok(form.form_id.clone()),
            Err(CommandError::Rejected(FormError::NotFound)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(CommandError::Rejected(FormError::Invalid(
        "the patient has no earlier form of this disease to carry over",
    )))
}

/// The media types a scanned paper form may have, with the bytes each file starts with.
const SCAN_TYPES: &[(&str, &[&[u8]])] = &[
    ("application/pdf", &[b"%PDF-"]),
    ("image/png", &[b"\x89PNG\r\n\x1a\n"]),
    ("image/jpeg", &[b"\xff\xd8\xff"]),
    ("image/tiff", &[b"II*\0", b"MM\0*"]),
];

/// Largest scan accepted.
pub const MAX_SCAN_BYTES: usize = 20 * 1024 * 1024;

/// The municipality registers an old-version paper form: the scan is stored by its SHA-256,
/// the transcribed items are judged with the rules of the form's own (old) version, and the
/// form is received at once.
pub async fn register_paper_form(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    actor: Actor,
    req: CreateForm,
    media_type: &str,
    scan: &[u8],
    key: Option<&IdempotencyKey>,
) -> Result<(String, Outcome), CommandError<FormError>> {
    let known = SCAN_TYPES
        .iter()
        .find(|(t, _)| *t == media_type)
        .ok_or(CommandError::Rejected(FormError::Invalid(
            "a scan is a PDF, PNG, JPEG or TIFF file",
        )))?;
    if !known.1.iter().any(|magic| scan.starts_with(magic)) {
        return Err(CommandError::Rejected(FormError::Invalid(
            "the scan's content is not of its media type",
        )));
    }
    if scan.is_empty() || scan.len() > MAX_SCAN_BYTES {
        return Err(CommandError::Rejected(FormError::Invalid(
            "a scan is at most 20 MiB",
        )));
    }
    let NewForm {
        id,
        key,
        master,
        municipalities,
    } = new_form(store, masters, &actor, &req, key).await?;
    let patient = req
        .patient
        .ok_or(CommandError::Rejected(FormError::Invalid(
            "the patient is required",
        )))?;
    let sha256 = hex::encode(Sha256::digest(scan));
    let action = FormAction::Draft {
        master: std::sync::Arc::new(master),
        municipalities,
        application: req.application,
        purpose: req.purpose,
        institution: req.institution,
        jurisdiction: req.jurisdiction,
        patient: Box::new(patient),
        research_consent: req.research_consent,
        items: req.items,
        carried_over: None,
        paper: Some(domain::form::PaperScan {
            sha256,
            media_type: media_type.to_owned(),
            size: scan.len() as u64,
        }),
        imported: None,
    };
    // Decide first (who may register, which jurisdiction, which items): nothing is stored for a
    // request that will be refused, since a stored scan can never be removed. Then the scan,
    // before the form that names it: a scan without a form is harmless, the reverse is not.
    let probe = FormCommand {
        actor: actor.clone(),
        reason: None,
        today: Some(today_in_japan()),
        action: action.clone(),
    };
    if let (form, 0) = crate::load::<ClinicalForm>(store, &id).await? {
        form.decide(&probe).map_err(CommandError::Rejected)?;
    }
    store.put_scan(media_type, scan).await?;
    let outcome = run_form_command(store, &id, actor, None, action, None, key.as_ref()).await?;
    Ok((id, outcome))
}

/// The scan of a paper form, for a reader of that form.
pub async fn read_scan(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    origin: Option<&str>,
) -> Result<(String, Vec<u8>), CommandError<FormError>> {
    let view = view_form_recording(store, actor, id, None, None, "scan", origin).await?;
    record_read(store, actor, &view, "scan", origin).await?;
    let scan = view
        .paper
        .ok_or(CommandError::Rejected(FormError::NotFound))?;
    store
        .get_scan(&scan.sha256)
        .await?
        .ok_or(CommandError::Rejected(FormError::NotFound))
}

/// Runs a command on form `id` for `actor`: `action` receives the master of the form's own
/// disease, resolved from the state loaded for the command, so the stream is read once.
#[allow(clippy::too_many_arguments)]
pub async fn form_command(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    id: &str,
    actor: Actor,
    reason: Option<String>,
    action: impl FnOnce(std::sync::Arc<(DiseaseForm, String)>) -> FormAction,
    expected: Option<u64>,
    key: Option<&IdempotencyKey>,
) -> Result<Outcome, CommandError<FormError>> {
    let key = scoped_key(&actor, key)?;
    let mut metadata = Metadata::new(actor.account.clone(), actor.role, Some(actor.program));
    metadata.reason = reason.clone();
    let prepare = async |form: &ClinicalForm| {
        let program = form
            .program
            .ok_or(CommandError::Rejected(FormError::NotFound))?;
        let master = masters
            .disease(
                store,
                program,
                &form.disease,
                &form.form_version,
                Pick::form(form),
            )
            .await?
            .ok_or(CommandError::Rejected(FormError::UnknownDisease))?;
        Ok(FormCommand {
            actor,
            reason,
            today: Some(today_in_japan()),
            action: action(std::sync::Arc::new(master)),
        })
    };
    crate::execute_with::<ClinicalForm, FormCommand, _>(
        store,
        id,
        prepare,
        metadata,
        expected,
        key.as_ref(),
    )
    .await
}

/// Corrects the patient block of form `id` with the whole corrected block: before submission
/// by the institution, after it with a reason (the doctor until receipt, the municipality after,
/// as データ修正). The patient's municipality must stay in the form's jurisdiction.
#[allow(clippy::too_many_arguments)]
pub async fn change_patient(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    id: &str,
    actor: Actor,
    reason: Option<String>,
    patient: Patient,
    expected: Option<u64>,
    key: Option<&IdempotencyKey>,
) -> Result<Outcome, CommandError<FormError>> {
    let municipalities = masters.municipalities(store).await?;
    form_command(
        store,
        masters,
        id,
        actor,
        reason,
        |_| FormAction::ChangePatient {
            patient: Box::new(patient),
            municipalities,
        },
        expected,
        key,
    )
    .await
}

/// 受付 by アクセスキー: municipality staff type the key printed on the patient's application and
/// the form it belongs to is received — found through the `form_keys` view, in the staff's own
/// jurisdiction only (a key of another jurisdiction finds nothing, as if it did not exist).
/// Returns the form's id with the outcome.
pub async fn receive_by_access_key(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    actor: Actor,
    access_key: &str,
    key: Option<&IdempotencyKey>,
) -> Result<(String, Outcome), CommandError<FormError>> {
    if actor.role != Role::MunicipalityStaff {
        return Err(CommandError::Rejected(FormError::Forbidden(
            "only municipality staff receive applications",
        )));
    }
    let access_key = access_key.trim().to_ascii_uppercase();
    if !domain::form::valid_access_key(&access_key) {
        return Err(CommandError::Rejected(FormError::Invalid(
            "an access key is 12 letters and digits",
        )));
    }
    // A form submitted a moment ago: wait (bounded) for the key view to have it. A view that
    // is behind or stopped finds less, never something else.
    crate::view_caught_up(
        store,
        projections::imports::KEYS,
        std::time::Duration::from_secs(5),
    )
    .await?;
    let found =
        projections::imports::form_by_access_key(&store.sql(), actor.program.as_str(), &access_key)
            .await
            .map_err(StoreError::from)?;
    let jurisdiction = actor.jurisdiction.as_ref().map(|j| j.to_string());
    let Some((id, _)) = found.filter(|(_, j)| Some(j) == jurisdiction.as_ref()) else {
        return Err(CommandError::Rejected(FormError::NotFound));
    };
    let outcome = form_command(
        store,
        masters,
        &id,
        actor,
        None,
        |_| FormAction::Receive { access_key },
        None,
        key,
    )
    .await?;
    Ok((id, outcome))
}

async fn run_form_command(
    store: &Arc<dyn EventStore>,
    id: &str,
    actor: Actor,
    reason: Option<String>,
    action: FormAction,
    expected: Option<u64>,
    key: Option<&IdempotencyKey>,
) -> Result<Outcome, CommandError<FormError>> {
    let mut metadata = Metadata::new(actor.account.clone(), actor.role, Some(actor.program));
    metadata.reason = reason.clone();
    let command = FormCommand {
        actor,
        reason,
        today: Some(today_in_japan()),
        action,
    };
    execute::<ClinicalForm>(store, id, &command, metadata, expected, key).await
}

/// A form as its reader sees it.
#[derive(Debug, Clone, Serialize)]
pub struct FormView {
    pub id: String,
    pub version: u64,
    pub program: Option<Program>,
    pub disease: String,
    pub form_version: String,
    pub status: Option<domain::form::Status>,
    pub application: Option<domain::form::Application>,
    pub purpose: Option<domain::judgment::Purpose>,
    pub institution: Option<String>,
    pub jurisdiction: Option<String>,
    pub author: String,
    pub items: std::collections::BTreeMap<String, serde_json::Value>,
    /// The latest machine judgment and the master version it used.
    pub judgment: Option<domain::judgment::Judgment>,
    pub judged_with: Option<domain::form::MasterRef>,
    pub access_key: Option<String>,
    pub review: Option<domain::form::ReviewResult>,
    pub patient: Option<Patient>,
    /// 前回値踏襲: the form this one started from, and the items it dropped.
    pub carried_over: Option<domain::form::CarryOver>,
    /// The scan of an old-version paper form.
    pub paper: Option<domain::form::PaperScan>,
    /// A form created by a bulk import: its job and row, the sending system's reference and,
    /// for a contractor import, the contractor.
    pub imported: Option<domain::form::ImportOrigin>,
    /// 行政記載欄 (municipality readers and auditors only).
    pub administrative: BTreeMap<String, Value>,
    pub updated_at: Option<DateTime<Utc>>,
    /// The patient's key as the form stands now (whatever version was asked for): reads are
    /// recorded under it. Never in a response.
    #[serde(skip)]
    pub patient_key: Option<String>,
}

/// Reads form `id` for `actor`, now or as it was at a time or version; the read is recorded
/// (read audit) before the form is returned: no patient data leaves unrecorded. Who may read:
/// doctors and clerks of the form's institution, municipality users of its jurisdiction once
/// submitted, auditors; all within the actor's program. A refused read of an existing form is
/// recorded too (`ReadRefused`), and answered as a form that does not exist.
pub async fn read_form(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    as_of: Option<DateTime<Utc>>,
    at_version: Option<u64>,
    origin: Option<&str>,
) -> Result<FormView, CommandError<FormError>> {
    let what = if as_of.is_some() || at_version.is_some() {
        "form_as_of"
    } else {
        "form"
    };
    let view = view_form_recording(store, actor, id, as_of, at_version, what, origin).await?;
    record_read(store, actor, &view, what, origin).await?;
    Ok(view)
}

/// As [`read_form`] (now, or at a version), recording the read — or its refusal — as `what`
/// (`judgment`, `history`, `diff` …): every way of looking at a patient's form is recorded.
pub async fn read_form_as(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    at_version: Option<u64>,
    what: &str,
    origin: Option<&str>,
) -> Result<FormView, CommandError<FormError>> {
    let view = view_form_recording(store, actor, id, None, at_version, what, origin).await?;
    record_read(store, actor, &view, what, origin).await?;
    Ok(view)
}

/// Form `id` at version `version`, for a caller who records the read once it has all it needs
/// (a diff reads two versions under one recorded read); a refusal is recorded as `what`.
pub async fn view_form_at(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    version: u64,
    what: &str,
    origin: Option<&str>,
) -> Result<FormView, CommandError<FormError>> {
    view_form_recording(store, actor, id, None, Some(version), what, origin).await
}

/// Appends the read-audit event of `view` (stream `form_reads/<form id>`, so a read never
/// moves the form's own version).
async fn record_read(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    view: &FormView,
    what: &str,
    origin: Option<&str>,
) -> Result<(), CommandError<FormError>> {
    let (Some(program), Some(patient)) = (view.program, &view.patient) else {
        return Ok(());
    };
    let event = AccessEvent::FormRead {
        form: view.id.clone(),
        program,
        patient_key: view
            .patient_key
            .clone()
            .unwrap_or_else(|| patient.key(program)),
        what: what.to_owned(),
        origin: origin.map(|o| o.chars().take(64).collect()),
    };
    let stream = StreamId::new(FORM_READS, &view.id)?;
    let metadata = Metadata::new(actor.account.clone(), actor.role, Some(actor.program));
    let event = eventstore::NewEvent::from_domain(&event, metadata)
        .map_err(|e| CommandError::Store(StoreError::InvalidEvent(e)))?;
    store
        .append(&stream, eventstore::ExpectedVersion::Any, vec![event], None)
        .await?;
    Ok(())
}

/// The patient key of form `id` (for the auditor's "who read this patient"); not itself a
/// read of the patient's data. A refusal is recorded as `what` (`patient_history`,
/// `read_audit`).
pub async fn patient_key(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    what: &str,
    origin: Option<&str>,
) -> Result<String, CommandError<FormError>> {
    let view = view_form_recording(store, actor, id, None, None, what, origin).await?;
    view.patient_key
        .ok_or(CommandError::Rejected(FormError::NotFound))
}

/// The operator links an old institution code to its successor (医療機関コードの変更); the
/// successor must be registered first.
pub async fn link_successor(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    old: InstitutionCode,
    successor: InstitutionCode,
    key: Option<&IdempotencyKey>,
) -> Result<Outcome, CommandError<domain::institution::InstitutionError>> {
    if actor.role != Role::Operator {
        return Err(CommandError::Rejected(
            domain::institution::InstitutionError::Forbidden,
        ));
    }
    let (next, _) = crate::load::<Institution>(store, successor.as_str()).await?;
    if next.code.is_none() {
        return Err(CommandError::Rejected(
            domain::institution::InstitutionError::NotRegistered,
        ));
    }
    let key = scoped_key(actor, key)?;
    let metadata = Metadata::new(actor.account.clone(), actor.role, None);
    let command = domain::institution::InstitutionCommand::Succeed { successor };
    execute::<Institution>(store, old.as_str(), &command, metadata, None, key.as_ref()).await
}

async fn view_form(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    as_of: Option<DateTime<Utc>>,
    at_version: Option<u64>,
) -> Result<FormView, CommandError<FormError>> {
    match view_or_refuse(store, actor, id, as_of, at_version).await? {
        Viewed::Form(view) => Ok(*view),
        Viewed::Refused(_) => Err(CommandError::Rejected(FormError::NotFound)),
    }
}

/// [`view_form`], with a refusal recorded as the read `what` (in the background, see
/// `crate::audit`): the caller gets the same 404 as for a form that does not exist.
async fn view_form_recording(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    as_of: Option<DateTime<Utc>>,
    at_version: Option<u64>,
    what: &str,
    origin: Option<&str>,
) -> Result<FormView, CommandError<FormError>> {
    match view_or_refuse(store, actor, id, as_of, at_version).await? {
        Viewed::Form(view) => Ok(*view),
        Viewed::Refused(refused) => {
            crate::audit::record(store, actor, refused, what, origin);
            Err(CommandError::Rejected(FormError::NotFound))
        }
    }
}

/// How a read of a form came out.
enum Viewed {
    Form(Box<FormView>),
    /// The form exists, but not for this caller, or not at the time or version asked while
    /// the caller may not read it now either: a refused read.
    Refused(crate::audit::Refused),
}

/// Who may read a form in this state: its program's doctors and clerks of its institution and
/// municipality users of its jurisdiction (`in_scope`), and the program's auditors.
fn may_read(form: &ClinicalForm, actor: &Actor) -> bool {
    form.in_scope(actor) || (actor.role == Role::Auditor && form.program == Some(actor.program))
}

/// Form `id` as the record of a refused read (program and patient key as the form stands
/// now), or `None` when there is no such form.
pub(crate) async fn form_record(
    store: &Arc<dyn EventStore>,
    id: &str,
) -> Result<Option<crate::audit::Refused>, CommandError<FormError>> {
    let stream = StreamId::new(ClinicalForm::STREAM_TYPE, id)?;
    let mut form = ClinicalForm::default();
    for e in store.read_stream(&stream, 1).await? {
        form = form.apply(&e.decode::<FormEvent>().map_err(CommandError::Unreadable)?);
    }
    Ok(refusal_of(id, &form))
}

fn refusal_of(id: &str, form: &ClinicalForm) -> Option<crate::audit::Refused> {
    let program = form.program.filter(|_| form.exists)?;
    Some(crate::audit::Refused::form(
        id,
        program,
        form.patient.as_ref().map(|p| p.key(program)),
    ))
}

async fn view_or_refuse(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    as_of: Option<DateTime<Utc>>,
    at_version: Option<u64>,
) -> Result<Viewed, CommandError<FormError>> {
    let stream = StreamId::new(ClinicalForm::STREAM_TYPE, id)?;
    let recorded = store.read_stream(&stream, 1).await?;
    let mut state = ClinicalForm::default();
    let mut carried_over = None;
    let mut version = 0;
    let mut updated_at = None;
    // The form as asked (now, or as it was), then — when a past state was asked — as it is
    // now: scope and the patient's key are the current form's.
    let asked = recorded
        .iter()
        .position(|e| {
            as_of.is_some_and(|t| e.recorded_at > t) || at_version.is_some_and(|v| e.version > v)
        })
        .unwrap_or(recorded.len());
    for e in &recorded[..asked] {
        let event: FormEvent = e.decode().map_err(CommandError::Unreadable)?;
        if let FormEvent::FormDrafted {
            carried_over: c, ..
        } = &event
        {
            carried_over = c.clone();
        }
        state = state.apply(&event);
        version = e.version;
        updated_at = Some(e.recorded_at);
    }
    let mut current = (asked < recorded.len()).then(|| state.clone());
    if let Some(now) = current.as_mut() {
        for e in &recorded[asked..] {
            let event: FormEvent = e.decode().map_err(CommandError::Unreadable)?;
            *now = std::mem::take(now).apply(&event);
        }
    }
    let now = current.as_ref().unwrap_or(&state);
    if !now.exists {
        return Err(CommandError::Rejected(FormError::NotFound));
    }
    if !state.exists || !may_read(&state, actor) {
        // Not found rather than forbidden: whether a form exists elsewhere is not the
        // caller's business. A form that did not exist yet at the time asked is no refusal for
        // a caller who may read it now.
        if !state.exists && may_read(now, actor) {
            return Err(CommandError::Rejected(FormError::NotFound));
        }
        return match refusal_of(id, now) {
            Some(refused) => Ok(Viewed::Refused(refused)),
            None => Err(CommandError::Rejected(FormError::NotFound)),
        };
    }
    // The patient as the form names them now, even when an earlier version was asked for.
    let patient_key = now
        .program
        .and_then(|p| now.patient.as_ref().map(|patient| patient.key(p)));
    Ok(Viewed::Form(Box::new(FormView {
        id: id.to_owned(),
        version,
        program: state.program,
        disease: state.disease,
        form_version: state.form_version,
        status: state.status,
        application: state.application,
        purpose: state.purpose,
        institution: state.institution.map(|i| i.to_string()),
        jurisdiction: state.jurisdiction.map(|j| j.to_string()),
        author: state.author,
        items: state.items,
        judged_with: state.judgment.as_ref().map(|(_, m)| m.clone()),
        // The key is printed for the patient; the municipality must read it off that copy, so
        // it does not see it before the form is received.
        access_key: if matches!(
            actor.role,
            Role::MunicipalityStaff | Role::MunicipalityAdmin
        ) && state.status == Some(domain::form::Status::Submitted)
        {
            None
        } else {
            state.access_key.clone()
        },
        judgment: state.judgment.map(|(j, _)| j),
        review: state.review,
        patient: state.patient,
        carried_over,
        paper: state.paper,
        imported: state.imported,
        administrative: if matches!(
            actor.role,
            Role::MunicipalityStaff | Role::MunicipalityAdmin | Role::Auditor
        ) {
            state.administrative
        } else {
            BTreeMap::new()
        },
        updated_at,
        patient_key,
    })))
}

/// The operator registers a medical institution in the master (monthly maintenance).
pub async fn register_institution(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    code: InstitutionCode,
    name: String,
    key: Option<&IdempotencyKey>,
) -> Result<Outcome, CommandError<domain::institution::InstitutionError>> {
    if actor.role != Role::Operator {
        return Err(CommandError::Rejected(
            domain::institution::InstitutionError::Forbidden,
        ));
    }
    let key = scoped_key(actor, key)?;
    let metadata = Metadata::new(actor.account.clone(), actor.role, None);
    let command = domain::institution::InstitutionCommand::Register {
        code: code.clone(),
        name,
    };
    execute::<Institution>(store, code.as_str(), &command, metadata, None, key.as_ref()).await
}

/// Whether the domain would take an action, and why not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct May {
    pub allowed: bool,
    /// The action needs a reason (a change after submission).
    pub needs_reason: bool,
    /// Why not, in both languages (the refusal the action itself would get).
    pub why_not: Option<(String, String)>,
}

impl May {
    fn of(result: Result<Vec<FormEvent>, FormError>, accepting: &[FormError]) -> May {
        match result {
            Ok(_) => May {
                allowed: true,
                needs_reason: false,
                why_not: None,
            },
            Err(FormError::ReasonRequired) => May {
                allowed: true,
                needs_reason: true,
                why_not: None,
            },
            Err(e) if accepting.contains(&e) => May {
                allowed: true,
                needs_reason: false,
                why_not: None,
            },
            Err(e) => {
                let p = crate::problem::Problem::from(CommandError::Rejected(e));
                May {
                    allowed: false,
                    needs_reason: false,
                    why_not: Some((p.ja, p.en)),
                }
            }
        }
    }
}

/// What `actor` may do with form `id` as it stands: every action tried on the current state
/// by the domain itself, appending nothing. The web client shows only what would be taken,
/// and says why an action is not (a clerk's submit, a 協力難病指定医's new form).
#[derive(Debug, Clone, Serialize)]
pub struct Permitted {
    pub version: u64,
    pub edit: May,
    pub submit: May,
    pub withdraw: May,
    pub change_patient: May,
    pub receive: May,
    pub correct: May,
    pub review: May,
    pub administrative: May,
}

pub async fn permitted(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    actor: &Actor,
    id: &str,
    origin: Option<&str>,
) -> Result<Permitted, CommandError<FormError>> {
    let (form, version) = crate::load::<ClinicalForm>(store, id).await?;
    if !may_read(&form, actor) {
        // Who may not read the form learns nothing of it, not even that it exists; an
        // existing form's refusal is recorded as any refused read.
        if let Some(refused) = refusal_of(id, &form) {
            crate::audit::record(store, actor, refused, "actions", origin);
        }
        return Err(CommandError::Rejected(FormError::NotFound));
    }
    let program = form
        .program
        .ok_or(CommandError::Rejected(FormError::NotFound))?;
    let master = Arc::new(
        masters
            .disease(
                store,
                program,
                &form.disease,
                &form.form_version,
                Pick::form(&form),
            )
            .await?
            .ok_or(CommandError::Rejected(FormError::UnknownDisease))?,
    );
    let municipalities = masters.municipalities(store).await?;
    let today = Some(today_in_japan());
    let try_ = |action: FormAction, reason: Option<&str>| {
        form.decide(&FormCommand {
            actor: actor.clone(),
            reason: reason.map(str::to_owned),
            today: today.clone(),
            action,
        })
    };
    use FormError::{AccessKeyMismatch, Unchanged};
    let empty = BTreeMap::new();
    Ok(Permitted {
        version,
        edit: May::of(
            try_(
                FormAction::Edit {
                    master: master.clone(),
                    items: empty.clone(),
                },
                None,
            ),
            &[Unchanged],
        ),
        submit: May::of(
            try_(
                FormAction::Submit {
                    access_key: new_access_key(),
                },
                None,
            ),
            &[],
        ),
        withdraw: May::of(
            try_(FormAction::Withdraw { reason: "x".into() }, Some("x")),
            &[],
        ),
        change_patient: match &form.patient {
            Some(p) => May::of(
                try_(
                    FormAction::ChangePatient {
                        patient: Box::new(p.clone()),
                        municipalities: municipalities.clone(),
                    },
                    None,
                ),
                &[Unchanged],
            ),
            None => May::of(Err(FormError::NotFound), &[]),
        },
        receive: May::of(
            try_(
                FormAction::Receive {
                    access_key: String::new(),
                },
                None,
            ),
            &[AccessKeyMismatch],
        ),
        correct: May::of(
            try_(
                FormAction::Correct {
                    master: master.clone(),
                    items: empty.clone(),
                },
                None,
            ),
            &[Unchanged],
        ),
        review: May::of(
            try_(
                FormAction::Review {
                    result: domain::form::ReviewResult::CertificateIssued,
                },
                None,
            ),
            // Either result rule: a refusal of the wrong one still means a review is possible.
            &[FormError::Invalid(
                "the result does not fit the form's purpose, or lacks a period or reason",
            )],
        ),
        administrative: May::of(
            try_(
                FormAction::RecordAdministrative {
                    fields: BTreeMap::new(),
                },
                None,
            ),
            &[Unchanged],
        ),
    })
}

/// The judgment form `id` would get with `items` changed (as an edit would change them), and
/// the values among them that would be refused — for who may edit the form; nothing is
/// appended (the live judgment while a doctor types).
pub async fn preview(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    actor: &Actor,
    id: &str,
    items: &BTreeMap<String, Value>,
) -> Result<(domain::judgment::Judgment, Vec<domain::judgment::ItemError>), CommandError<FormError>>
{
    let (form, _) = crate::load::<ClinicalForm>(store, id).await?;
    let program = form
        .program
        .ok_or(CommandError::Rejected(FormError::NotFound))?;
    let master = masters
        .disease(
            store,
            program,
            &form.disease,
            &form.form_version,
            Pick::form(&form),
        )
        .await?
        .ok_or(CommandError::Rejected(FormError::UnknownDisease))?;
    let may = form.decide(&FormCommand {
        actor: actor.clone(),
        reason: Some("preview".into()),
        today: Some(today_in_japan()),
        action: FormAction::Edit {
            master: Arc::new(master.clone()),
            items: BTreeMap::new(),
        },
    });
    match may {
        Err(FormError::Unchanged) => {}
        Err(e) => return Err(CommandError::Rejected(e)),
        Ok(_) => {}
    }
    form.preview(&master, items, Some(&today_in_japan()))
        .map_err(CommandError::Rejected)
}
