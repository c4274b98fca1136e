//! Research extracts (研究利用データの抽出, SPEC 12): authorise and check the request, read the
//! research view page by page from one snapshot, write CSV (UTF-8) and Parquet side by side with
//! constant memory, and record the extract — who, why, under which approval, the filter, the
//! row count and each file's SHA-256 — as an event. Nothing is written or appended for a request
//! that is refused. See docs/research-extract.md.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use domain::form::Actor;
use domain::pseudonym::{ResearchKey, StudyKey};
use domain::research::{
    authorize, ExtractFile, ExtractRequest, FileFormat, RecordExtract, ResearchError,
    ResearchEvent, ResearchExtract,
};
use domain::Aggregate;
use eventstore::{EventStore, IdempotencyKey, Metadata, StoreError};
use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int32Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use projections::research::{Selection, Snapshot, SourceRow};
use sha2::{Digest, Sha256};

use crate::forms::MasterCache;
use crate::{execute, load, CommandError};

/// Rows read per page from the research view.
pub const PAGE_ROWS: i64 = 1_000;
/// Rows per Parquet row group: what the writer holds in memory at most.
pub const ROW_GROUP_ROWS: usize = 8_192;
/// How long an extract waits for the research view to reach the store's head.
pub const CATCH_UP: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error(transparent)]
    Rejected(#[from] ResearchError),
    #[error("no such extract")]
    NotFound,
    /// The research view is behind the store (its projection is not running, or stopped).
    #[error("the research view has not caught up with the event store")]
    Stale,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("projection: {0}")]
    Projection(#[from] projections::ProjectionError),
    #[error("writing the extract: {0}")]
    Io(#[from] std::io::Error),
    #[error("writing the Parquet file: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("writing the CSV file: {0}")]
    Csv(#[from] csv::Error),
    #[error("stored event cannot be read: {0}")]
    Unreadable(domain::PayloadError),
}

impl From<CommandError<ResearchError>> for ExtractError {
    fn from(e: CommandError<ResearchError>) -> Self {
        match e {
            CommandError::Rejected(e) => ExtractError::Rejected(e),
            CommandError::Store(e) => ExtractError::Store(e),
            CommandError::Unreadable(e) => ExtractError::Unreadable(e),
        }
    }
}

/// A finished extract.
#[derive(Debug, Clone)]
pub struct Extracted {
    pub id: String,
    pub rows: u64,
    /// The store position the research view had reached: the extract reflects every event up
    /// to it.
    pub as_of_position: u64,
    /// Each file as recorded, and where it is.
    pub files: Vec<(ExtractFile, PathBuf)>,
    /// The global position of the recorded event.
    pub position: u64,
}

/// Refuses what the actor may not ask for, and requests that are not valid (the diseases are
/// checked against every published version of the program's master). Appends nothing.
pub async fn check(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    actor: &Actor,
    request: &ExtractRequest,
) -> Result<(), ExtractError> {
    authorize(actor, request.program)?;
    masters.refresh(store).await?;
    let master = masters.snapshot().await;
    request.validate(|code| {
        master.versions.iter().any(|(_, diseases)| {
            diseases
                .iter()
                .any(|d| d.program == request.program && d.code == code)
        })
    })?;
    Ok(())
}

/// Waits (bounded) until the research view has applied everything committed so far.
pub async fn wait_for_view(store: &Arc<dyn EventStore>) -> Result<u64, ExtractError> {
    let head = projections::committed_head(store).await?;
    if projections::wait_for(&store.sql(), projections::research::NAME, head, CATCH_UP).await? {
        Ok(head)
    } else {
        Err(ExtractError::Stale)
    }
}

/// Writes the extract of `request` into `dir` as `<id>.csv` and `<id>.parquet` and records it.
/// `progress(done, total)` is called after every page. A retry under the same idempotency
/// key writes nothing again and answers with the extract recorded the first time.
#[allow(clippy::too_many_arguments)]
pub async fn extract(
    store: &Arc<dyn EventStore>,
    masters: &MasterCache,
    key: &ResearchKey,
    actor: &Actor,
    request: &ExtractRequest,
    dir: &Path,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
    idempotency_key: Option<&IdempotencyKey>,
) -> Result<Extracted, ExtractError> {
    check(store, masters, actor, request).await?;
    let idempotency_key = crate::forms::scoped_key(actor, idempotency_key)?;
    // Under a key, the extract's id is the key's: a retry finds the first one.
    let id = match &idempotency_key {
        Some(k) => uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("research-extract/{}", k.as_str()).as_bytes(),
        )
        .to_string(),
        None => uuid::Uuid::now_v7().to_string(),
    };
    if let Some(first) = recorded(store, &id, dir).await? {
        return Ok(first);
    }
    wait_for_view(store).await?;
    std::fs::create_dir_all(dir)?;
    let part = |f: FileFormat| dir.join(format!("{id}.{}.part", f.extension()));
    let done = |f: FileFormat| dir.join(format!("{id}.{}", f.extension()));
    let written = write_files(store, key, request, &part, BOTH, progress).await;
    let (rows, as_of_position, files) = match written {
        Ok(w) => w,
        Err(e) => {
            remove_parts(&part);
            return Err(e);
        }
    };
    let command = RecordExtract {
        actor: actor.clone(),
        request: request.clone(),
        rows,
        as_of_position,
        files: files.clone(),
    };
    let metadata = Metadata::new(actor.account.clone(), actor.role, Some(actor.program));
    let outcome = match execute::<ResearchExtract>(
        store,
        &id,
        &command,
        metadata,
        None,
        idempotency_key.as_ref(),
    )
    .await
    {
        Ok(o) if o.duplicate => {
            // The first attempt under this key was recorded while this one wrote its files.
            remove_parts(&part);
            return recorded(store, &id, dir).await?.ok_or(ExtractError::Stale);
        }
        Ok(o) => o,
        Err(e) => {
            remove_parts(&part);
            return Err(e.into());
        }
    };
    let mut placed = vec![];
    for file in files {
        std::fs::rename(part(file.format), done(file.format))?;
        placed.push((file.clone(), done(file.format)));
    }
    Ok(Extracted {
        id,
        rows,
        as_of_position,
        files: placed,
        position: outcome.position,
    })
}

/// The extract recorded under `id`, if there is one.
async fn recorded(
    store: &Arc<dyn EventStore>,
    id: &str,
    dir: &Path,
) -> Result<Option<Extracted>, ExtractError> {
    let stream = eventstore::StreamId::new(ResearchExtract::STREAM_TYPE, id)?;
    let events = store.read_stream(&stream, 1).await?;
    let Some(last) = events.last() else {
        return Ok(None);
    };
    let event: ResearchEvent = last.decode().map_err(ExtractError::Unreadable)?;
    let ResearchEvent::ResearchExtractRecorded {
        rows,
        as_of_position,
        files,
        ..
    } = event;
    Ok(Some(Extracted {
        id: id.to_owned(),
        rows,
        as_of_position,
        files: files
            .into_iter()
            .map(|f| {
                let path = dir.join(format!("{id}.{}", f.format.extension()));
                (f, path)
            })
            .collect(),
        position: last.position,
    }))
}

fn remove_parts(part: &impl Fn(FileFormat) -> PathBuf) {
    for f in [FileFormat::Csv, FileFormat::Parquet] {
        let _ = std::fs::remove_file(part(f));
    }
}

/// Which files an extract writes: both, always; the benchmark measures each alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub csv: bool,
    pub parquet: bool,
}

const BOTH: Formats = Formats {
    csv: true,
    parquet: true,
};

/// For `nanbyo bench research`: writes the files of `request` into `dir` (as `<name>.csv` /
/// `<name>.parquet`) exactly as an extract does, without checking or recording anything.
/// Returns the rows and the files.
pub async fn write_unrecorded(
    store: &Arc<dyn EventStore>,
    key: &ResearchKey,
    request: &ExtractRequest,
    dir: &Path,
    name: &str,
    formats: Formats,
) -> Result<(u64, Vec<ExtractFile>), ExtractError> {
    let path = |f: FileFormat| dir.join(format!("{name}.{}", f.extension()));
    let (rows, _, files) = write_files(store, key, request, &path, formats, &|_, _| {}).await?;
    Ok((rows, files))
}

/// Reads the pages on this task and writes them on a blocking thread; the bounded channel
/// between them is what keeps memory constant (two pages in flight, one row group buffered).
async fn write_files(
    store: &Arc<dyn EventStore>,
    key: &ResearchKey,
    request: &ExtractRequest,
    part: &impl Fn(FileFormat) -> PathBuf,
    formats: Formats,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<(u64, u64, Vec<ExtractFile>), ExtractError> {
    let selection = Selection {
        program: request.program,
        diseases: request.filter.diseases.clone(),
        from: request.filter.from.clone(),
        to: request.filter.to.clone(),
        certified_only: request.filter.certified_only,
    };
    let mut snapshot = Snapshot::open(&store.sql()).await?;
    let as_of = snapshot.position().await?;
    let total = snapshot.count(&selection).await?;
    progress(0, total);
    // The study's own pseudonyms: the same patient under the same pseudonym in every extract
    // of one approval, under another in another study's, and never the bus's.
    let sink = Sink::create(
        key.study(request.program, &request.approval),
        formats.csv.then(|| part(FileFormat::Csv)).as_deref(),
        formats
            .parquet
            .then(|| part(FileFormat::Parquet))
            .as_deref(),
    )?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<SourceRow>>(2);
    let writer = tokio::task::spawn_blocking(move || -> Result<_, ExtractError> {
        let mut sink = sink;
        while let Some(page) = rx.blocking_recv() {
            for row in page {
                sink.push(row)?;
            }
        }
        sink.finish()
    });
    let mut after = String::new();
    let mut done = 0u64;
    let read: Result<(), ExtractError> = async {
        loop {
            let page = snapshot.page(&selection, &after, PAGE_ROWS).await?;
            let Some(last) = page.last() else { break };
            after = last.form_id.clone();
            done += page.len() as u64;
            let full = page.len() as i64 == PAGE_ROWS;
            // The writer has gone only if it failed: its error is reported below.
            if tx.send(page).await.is_err() {
                break;
            }
            progress(done, total.max(done));
            if !full {
                break;
            }
        }
        Ok(())
    }
    .await;
    drop(tx);
    let _ = snapshot.close().await;
    let written = writer
        .await
        .map_err(|e| ExtractError::Io(std::io::Error::other(e.to_string())))?;
    read?;
    let (rows, files) = written?;
    Ok((rows, as_of, files))
}

/// A writer that hashes and counts every byte it passes on.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Hashing<std::fs::File> {
    fn close(mut self, format: FileFormat) -> Result<ExtractFile, std::io::Error> {
        self.inner.flush()?;
        self.inner.sync_all()?;
        Ok(ExtractFile {
            format,
            sha256: hex::encode(self.hasher.finalize()),
            bytes: self.bytes,
        })
    }
}

/// One row of an extract, as written: the patient only as the study's pseudonym.
#[derive(Debug, Clone)]
pub struct ExtractRow {
    pub pseudonym: String,
    pub linkage_id: Option<String>,
    pub age_years: i32,
    pub sex: String,
    pub prefecture: String,
    pub disease: String,
    pub form_version: String,
    /// `YYYY-MM` of the form date: the month, not the day.
    pub form_month: String,
    pub application: String,
    pub form_purpose: String,
    /// JSON object of the items (no free-text item).
    pub items: String,
    pub judgment: Option<String>,
    pub diagnosis: Option<String>,
    pub severity: Option<String>,
    pub master_version: Option<String>,
    pub review_result: Option<String>,
    pub certificate_issued: Option<bool>,
}

impl ExtractRow {
    fn from_source(row: SourceRow, study: &StudyKey) -> Self {
        ExtractRow {
            pseudonym: study.pseudonym(&row.patient_key),
            linkage_id: row.linkage_id,
            age_years: i32::try_from(row.age_years).unwrap_or(i32::MAX),
            sex: row.sex,
            prefecture: row.prefecture,
            disease: row.disease,
            form_version: row.form_version,
            form_month: row.form_date.chars().take(7).collect(),
            application: row.application,
            form_purpose: row.purpose,
            items: row.items,
            judgment: row.judgment,
            diagnosis: row.diagnosis,
            severity: row.severity,
            master_version: row.master_version,
            review_result: row.review_result,
            certificate_issued: row.certificate_issued,
        }
    }
}

enum Cell<'a> {
    Text(Option<&'a str>),
    Int(i32),
    Bool(Option<bool>),
}

/// The columns of an extract, in order: the CSV header and the Parquet schema both come from
/// this one list.
pub struct Column {
    pub name: &'static str,
    /// The Parquet field declaration.
    parquet: &'static str,
    get: fn(&ExtractRow) -> Cell<'_>,
}

macro_rules! text {
    ($name:literal, $decl:literal, $field:ident) => {
        Column {
            name: $name,
            parquet: $decl,
            get: |r| Cell::Text(Some(r.$field.as_str())),
        }
    };
    ($name:literal, $decl:literal, ?$field:ident) => {
        Column {
            name: $name,
            parquet: $decl,
            get: |r| Cell::Text(r.$field.as_deref()),
        }
    };
}

pub const COLUMNS: &[Column] = &[
    text!(
        "pseudonym",
        "REQUIRED BYTE_ARRAY pseudonym (UTF8);",
        pseudonym
    ),
    text!(
        "linkage_id",
        "OPTIONAL BYTE_ARRAY linkage_id (UTF8);",
        ?linkage_id
    ),
    Column {
        name: "age_years",
        parquet: "REQUIRED INT32 age_years;",
        get: |r| Cell::Int(r.age_years),
    },
    text!("sex", "REQUIRED BYTE_ARRAY sex (UTF8);", sex),
    text!(
        "prefecture",
        "REQUIRED BYTE_ARRAY prefecture (UTF8);",
        prefecture
    ),
    text!("disease", "REQUIRED BYTE_ARRAY disease (UTF8);", disease),
    text!(
        "form_version",
        "REQUIRED BYTE_ARRAY form_version (UTF8);",
        form_version
    ),
    text!(
        "form_month",
        "REQUIRED BYTE_ARRAY form_month (UTF8);",
        form_month
    ),
    text!(
        "application",
        "REQUIRED BYTE_ARRAY application (UTF8);",
        application
    ),
    text!(
        "form_purpose",
        "REQUIRED BYTE_ARRAY form_purpose (UTF8);",
        form_purpose
    ),
    text!("items", "REQUIRED BYTE_ARRAY items (JSON);", items),
    text!(
        "judgment",
        "OPTIONAL BYTE_ARRAY judgment (UTF8);",
        ?judgment
    ),
    text!(
        "diagnosis",
        "OPTIONAL BYTE_ARRAY diagnosis (UTF8);",
        ?diagnosis
    ),
    text!(
        "severity",
        "OPTIONAL BYTE_ARRAY severity (UTF8);",
        ?severity
    ),
    text!(
        "master_version",
        "OPTIONAL BYTE_ARRAY master_version (UTF8);",
        ?master_version
    ),
    text!(
        "review_result",
        "OPTIONAL BYTE_ARRAY review_result (UTF8);",
        ?review_result
    ),
    Column {
        name: "certificate_issued",
        parquet: "OPTIONAL BOOLEAN certificate_issued;",
        get: |r| Cell::Bool(r.certificate_issued),
    },
];

/// The Parquet schema of an extract.
pub fn parquet_schema() -> String {
    let fields: Vec<&str> = COLUMNS.iter().map(|c| c.parquet).collect();
    format!("message research_extract {{ {} }}", fields.join(" "))
}

/// Both files of one extract, written row by row.
struct Sink {
    study: StudyKey,
    csv: Option<csv::Writer<Hashing<std::fs::File>>>,
    parquet: Option<SerializedFileWriter<Hashing<std::fs::File>>>,
    group: Vec<ExtractRow>,
    rows: u64,
}

impl Sink {
    fn create(
        study: StudyKey,
        csv_path: Option<&Path>,
        parquet_path: Option<&Path>,
    ) -> Result<Self, ExtractError> {
        let open = |p: &Path| -> Result<Hashing<std::fs::File>, std::io::Error> {
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            Ok(Hashing::new(o.open(p)?))
        };
        let csv = match csv_path {
            Some(p) => {
                let mut csv = csv::Writer::from_writer(open(p)?);
                csv.write_record(COLUMNS.iter().map(|c| c.name))?;
                Some(csv)
            }
            None => None,
        };
        let parquet = match parquet_path {
            Some(p) => {
                let schema = Arc::new(parquet::schema::parser::parse_message_type(
                    &parquet_schema(),
                )?);
                let props = WriterProperties::builder()
                    .set_compression(Compression::SNAPPY)
                    .set_created_by("nanbyo research extract".into())
                    .build();
                Some(SerializedFileWriter::new(
                    open(p)?,
                    schema,
                    Arc::new(props),
                )?)
            }
            None => None,
        };
        Ok(Sink {
            study,
            csv,
            parquet,
            group: Vec::with_capacity(ROW_GROUP_ROWS),
            rows: 0,
        })
    }

    fn push(&mut self, source: SourceRow) -> Result<(), ExtractError> {
        let row = ExtractRow::from_source(source, &self.study);
        self.rows += 1;
        if let Some(csv) = &mut self.csv {
            Self::write_csv(csv, &row)?;
        }
        if self.parquet.is_some() {
            self.group.push(row);
            if self.group.len() >= ROW_GROUP_ROWS {
                self.flush_group()?;
            }
        }
        Ok(())
    }

    fn write_csv(
        csv: &mut csv::Writer<Hashing<std::fs::File>>,
        row: &ExtractRow,
    ) -> Result<(), ExtractError> {
        let mut record = csv::StringRecord::new();
        for c in COLUMNS {
            match (c.get)(row) {
                Cell::Text(t) => record.push_field(t.unwrap_or_default()),
                Cell::Int(i) => record.push_field(&i.to_string()),
                Cell::Bool(b) => record.push_field(match b {
                    Some(true) => "true",
                    Some(false) => "false",
                    None => "",
                }),
            }
        }
        csv.write_record(&record)?;
        Ok(())
    }

    fn flush_group(&mut self) -> Result<(), ExtractError> {
        let Some(parquet) = &mut self.parquet else {
            return Ok(());
        };
        if self.group.is_empty() {
            return Ok(());
        }
        let mut rg = parquet.next_row_group()?;
        let mut i = 0;
        while let Some(mut col) = rg.next_column()? {
            let column = &COLUMNS[i];
            let cells: Vec<Cell<'_>> = self.group.iter().map(|r| (column.get)(r)).collect();
            let levels: Vec<i16> = cells
                .iter()
                .map(|c| match c {
                    Cell::Text(None) | Cell::Bool(None) => 0,
                    _ => 1,
                })
                .collect();
            let optional = column.parquet.starts_with("OPTIONAL");
            let def = optional.then_some(levels.as_slice());
            match cells.first() {
                Some(Cell::Text(_)) => {
                    let values: Vec<ByteArray> = cells
                        .iter()
                        .filter_map(|c| match c {
                            Cell::Text(Some(t)) => Some(ByteArray::from(*t)),
                            _ => None,
                        })
                        .collect();
                    col.typed::<ByteArrayType>()
                        .write_batch(&values, def, None)?;
                }
                Some(Cell::Int(_)) => {
                    let values: Vec<i32> = cells
                        .iter()
                        .filter_map(|c| match c {
                            Cell::Int(i) => Some(*i),
                            _ => None,
                        })
                        .collect();
                    col.typed::<Int32Type>().write_batch(&values, def, None)?;
                }
                Some(Cell::Bool(_)) => {
                    let values: Vec<bool> = cells
                        .iter()
                        .filter_map(|c| match c {
                            Cell::Bool(b) => *b,
                            _ => None,
                        })
                        .collect();
                    col.typed::<BoolType>().write_batch(&values, def, None)?;
                }
                None => {}
            }
            col.close()?;
            i += 1;
        }
        rg.close()?;
        self.group.clear();
        Ok(())
    }

    fn finish(mut self) -> Result<(u64, Vec<ExtractFile>), ExtractError> {
        self.flush_group()?;
        let mut files = vec![];
        if let Some(csv) = self.csv {
            files.push(
                csv.into_inner()
                    .map_err(|e| std::io::Error::other(e.to_string()))?
                    .close(FileFormat::Csv)?,
            );
        }
        if let Some(parquet) = self.parquet {
            files.push(parquet.into_inner()?.close(FileFormat::Parquet)?);
        }
        Ok((self.rows, files))
    }
}

/// A file of a recorded extract, for download by the program's operator.
pub async fn file(
    store: &Arc<dyn EventStore>,
    actor: &Actor,
    id: &str,
    format: FileFormat,
    dir: &Path,
) -> Result<(ExtractFile, PathBuf), ExtractError> {
    // Anyone but an operator is refused whatever the id; another program's extract does not
    // exist for an operator.
    if actor.role != domain::Role::Operator {
        authorize(actor, actor.program)?;
    }
    // Only ids this module makes name a file: nothing else reaches the file system.
    let id = uuid::Uuid::parse_str(id)
        .map_err(|_| ExtractError::NotFound)?
        .to_string();
    let (extract, _) = load::<ResearchExtract>(store, &id).await?;
    let Some(ResearchEvent::ResearchExtractRecorded { program, files, .. }) = extract.recorded
    else {
        return Err(ExtractError::NotFound);
    };
    if program != actor.program {
        return Err(ExtractError::NotFound);
    }
    let file = files
        .into_iter()
        .find(|f| f.format == format)
        .ok_or(ExtractError::NotFound)?;
    let path = dir.join(format!("{id}.{}", format.extension()));
    if !path.is_file() {
        return Err(ExtractError::NotFound);
    }
    Ok((file, path))
}

/// The actor of the command line: an active account named by its login ID. The CLI has the
/// database's credentials, so it does not ask for the password; it still acts only as an
/// account, which the event names, and the same authorisation applies.
pub async fn actor_by_login(
    store: &Arc<dyn EventStore>,
    login_id: &str,
) -> Result<Actor, ExtractError> {
    use domain::account::{Account, AccountStatus};
    let unknown = || {
        ExtractError::Rejected(ResearchError::Forbidden(
            "research extraction is for an active operator account of the program",
        ))
    };
    let credential = crate::credentials::by_login(&store.sql(), login_id)
        .await?
        .ok_or_else(unknown)?;
    let (account, _) = load::<Account>(store, &credential.account_id)
        .await
        .map_err(|e| match e {
            CommandError::Store(e) => ExtractError::Store(e),
            CommandError::Unreadable(e) => ExtractError::Unreadable(e),
            CommandError::Rejected(_) => unknown(),
        })?;
    if account.status != AccountStatus::Active {
        return Err(unknown());
    }
    account
        .actor(&crate::forms::today_in_japan())
        .ok_or_else(unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_parses_and_names_every_column_once() {
        let schema =
            parquet::schema::parser::parse_message_type(&parquet_schema()).expect("schema");
        let names: Vec<&str> = schema.get_fields().iter().map(|f| f.name()).collect();
        let columns: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
        assert_eq!(names, columns);
        for banned in [
            "name",
            "kana",
            "birth",
            "address",
            "insur",
            "recipient",
            "access",
            "patient_key",
            "form_id",
        ] {
            assert!(
                !columns.iter().any(|c| c.contains(banned)),
                "column {banned}"
            );
        }
    }
}
