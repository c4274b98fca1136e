//! Where uploaded import files go and who runs their jobs: the files of this process
//! (`<data dir>/imports`, each named by its SHA-256) and the jobs it runs now, in the
//! background, resumed at start. Shared by the JSON API and the web client.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use eventstore::EventStore;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::forms::MasterCache;
use crate::imports::StagedFile;

/// Why an upload could not be staged.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// Over [`crate::imports::MAX_FILE_BYTES`].
    #[error("the file is too large")]
    TooLarge,
    #[error("the file cannot be stored: {0}")]
    Storage(std::io::Error),
}

impl StageError {
    fn storage(e: std::io::Error) -> StageError {
        tracing::error!(error = %e, "cannot store an uploaded import file");
        StageError::Storage(e)
    }
}

/// The import files of this process (`<data dir>/imports`) and the jobs it runs now.
pub struct Imports {
    dir: PathBuf,
    running: Mutex<HashSet<String>>,
}

impl Imports {
    pub fn new(data_dir: PathBuf) -> Self {
        Imports {
            dir: data_dir.join("imports"),
            running: Mutex::new(HashSet::new()),
        }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Runs job `id` in the background unless this process runs it already.
    pub fn spawn(
        self: &Arc<Self>,
        store: &Arc<dyn EventStore>,
        masters: &Arc<MasterCache>,
        id: String,
    ) {
        {
            let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            if !running.insert(id.clone()) {
                return;
            }
        }
        let (store, masters, this) = (store.clone(), masters.clone(), self.clone());
        tokio::spawn(async move {
            // A temporary failure (the database away, the key view behind) is retried with
            // backoff; a job that still cannot go on resumes at the next start.
            let mut pause = std::time::Duration::from_secs(1);
            for attempt in 1..=RUN_ATTEMPTS {
                match crate::imports::run(&store, &masters, &this.dir, &id, &()).await {
                    Ok(job) => {
                        tracing::info!(
                            job = %id,
                            status = job.status.map(|s| s.as_str()).unwrap_or("?"),
                            applied = job.applied,
                            unchanged = job.unchanged,
                            rejected = job.rejected,
                            "import job ended"
                        );
                        break;
                    }
                    Err(crate::imports::RunError::Taken) => {
                        tracing::info!(job = %id, "import job is run by another process");
                        break;
                    }
                    Err(
                        e @ (crate::imports::RunError::NotFound
                        | crate::imports::RunError::FileMissing),
                    ) => {
                        tracing::error!(job = %id, error = %e, "import job cannot run");
                        break;
                    }
                    Err(e) if attempt < RUN_ATTEMPTS => {
                        tracing::warn!(job = %id, error = %e, attempt, "import job stopped; retrying");
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(std::time::Duration::from_secs(60));
                    }
                    Err(e) => tracing::warn!(
                        job = %id,
                        error = %e,
                        "import job stopped; it resumes at the next start"
                    ),
                }
            }
            this.running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
        });
    }

    /// Resumes every unfinished job (after a restart): waits until the jobs view has caught
    /// up, then runs each in the background. Another instance resuming the same job is
    /// harmless: the job's stream lets only one append each batch.
    pub async fn resume(self: &Arc<Self>, store: &Arc<dyn EventStore>, masters: &Arc<MasterCache>) {
        let head = match projections::committed_head(store).await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for unfinished import jobs");
                return;
            }
        };
        match projections::wait_for(
            &store.sql(),
            projections::imports::JOBS,
            head,
            std::time::Duration::from_secs(60),
        )
        .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("the import jobs view is behind: unfinished jobs not resumed");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for unfinished import jobs");
                return;
            }
        }
        match projections::imports::unfinished(&store.sql()).await {
            Ok(ids) => {
                for id in ids {
                    tracing::info!(job = %id, "resuming import job");
                    self.spawn(store, masters, id);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot look for unfinished import jobs"),
        }
    }
}

/// How often a job that stopped on a temporary failure is run again before waiting for the
/// next start.
const RUN_ATTEMPTS: u32 = 8;

/// Writes an upload's chunks to the imports directory, hashing them, and names the file by
/// its digest.
pub struct Staging {
    temp: PathBuf,
    file: tokio::fs::File,
    hasher: Sha256,
    size: u64,
}

impl Staging {
    pub async fn new(dir: &std::path::Path) -> Result<Staging, StageError> {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(StageError::storage)?;
        let temp = dir.join(format!(".upload-{}", uuid::Uuid::new_v4()));
        let file = tokio::fs::File::create(&temp)
            .await
            .map_err(StageError::storage)?;
        Ok(Staging {
            temp,
            file,
            hasher: Sha256::new(),
            size: 0,
        })
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), StageError> {
        self.size += chunk.len() as u64;
        if self.size > crate::imports::MAX_FILE_BYTES {
            return Err(StageError::TooLarge);
        }
        self.hasher.update(chunk);
        self.file
            .write_all(chunk)
            .await
            .map_err(StageError::storage)
    }

    /// The staged file, and whether it is new (no earlier upload had the same content).
    pub async fn finish(mut self) -> Result<(StagedFile, bool), StageError> {
        self.file.flush().await.map_err(StageError::storage)?;
        self.file.sync_all().await.map_err(StageError::storage)?;
        let sha256 = hex::encode(self.hasher.clone().finalize());
        let dir = self.temp.parent().map(PathBuf::from).unwrap_or_default();
        let path = crate::imports::stored_path(&dir, &sha256);
        let fresh = !tokio::fs::try_exists(&path).await.unwrap_or(false);
        tokio::fs::rename(&self.temp, &path)
            .await
            .map_err(StageError::storage)?;
        let synced = dir.clone();
        tokio::task::spawn_blocking(move || crate::imports::sync_dir(&synced))
            .await
            .map_err(|e| StageError::storage(std::io::Error::other(e.to_string())))?
            .map_err(StageError::storage)?;
        Ok((
            StagedFile {
                path,
                size: self.size,
                sha256,
                fresh,
            },
            fresh,
        ))
    }

    pub async fn discard(self) {
        let _ = tokio::fs::remove_file(&self.temp).await;
    }
}
