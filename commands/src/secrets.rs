//! Secrets held outside the database: the bus pseudonym key and the research key (see
//! `domain::pseudonym`), each 64 hexadecimal digits.
//!
//! - The bus pseudonym key comes from `NANBYO_PSEUDONYM_KEY`, or from the file
//!   `NANBYO_PSEUDONYM_KEY_FILE` names, or from `pseudonym.key` in the data directory. The relay
//!   and the linkage hold it.
//! - The research key comes from `NANBYO_RESEARCH_KEY`, or from the file
//!   `NANBYO_RESEARCH_KEY_FILE` names, or from `research.key` in the data directory. Only the
//!   process that writes extracts holds it; each approved study's pseudonyms are derived from it.
//!
//! So that the service runs with no setup, a missing default file is created with a random key
//! (mode 0600) the first time. Whoever holds the database alone cannot recompute a pseudonym.
//! Production keeps both keys in the secret store and passes them by environment; losing the
//! research key makes later extracts of a study unlinkable to its earlier ones, nothing more.

use std::io::Write;
use std::path::{Path, PathBuf};

use domain::pseudonym::{PseudonymKey, ResearchKey};
use rand::RngCore;

pub const KEY_ENV: &str = "NANBYO_PSEUDONYM_KEY";
pub const KEY_FILE_ENV: &str = "NANBYO_PSEUDONYM_KEY_FILE";
pub const RESEARCH_KEY_ENV: &str = "NANBYO_RESEARCH_KEY";
pub const RESEARCH_KEY_FILE_ENV: &str = "NANBYO_RESEARCH_KEY_FILE";
/// The research key's file in the data directory, unless the environment names one.
pub const RESEARCH_KEY_FILE: &str = "research.key";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{0} is not 64 hexadecimal digits")]
    BadEnv(&'static str),
    #[error("the key file {0} is not 64 hexadecimal digits")]
    BadFile(PathBuf),
    #[error("the key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The bus pseudonym key from the environment, or from `default_file` (created if missing).
pub fn pseudonym_key(default_file: &Path) -> Result<PseudonymKey, SecretError> {
    Ok(PseudonymKey::from_bytes(secret(
        KEY_ENV,
        KEY_FILE_ENV,
        default_file,
    )?))
}

/// The research key from the environment, or from `default_file` (created if missing).
pub fn research_key(default_file: &Path) -> Result<ResearchKey, SecretError> {
    Ok(ResearchKey::from_bytes(secret(
        RESEARCH_KEY_ENV,
        RESEARCH_KEY_FILE_ENV,
        default_file,
    )?))
}

fn secret(env: &'static str, file_env: &str, default_file: &Path) -> Result<[u8; 32], SecretError> {
    if let Ok(text) = std::env::var(env) {
        return parse(&text).ok_or(SecretError::BadEnv(env));
    }
    let path = std::env::var_os(file_env)
        .map(PathBuf::from)
        .unwrap_or_else(|| default_file.to_owned());
    secret_file(&path)
}

fn parse(text: &str) -> Option<[u8; 32]> {
    hex::decode(text.trim()).ok()?.try_into().ok()
}

/// The bus pseudonym key in `path`, created with a fresh random key when the file does not
/// exist.
pub fn key_file(path: &Path) -> Result<PseudonymKey, SecretError> {
    secret_file(path).map(PseudonymKey::from_bytes)
}

/// The research key in `path`, created with a fresh random key when the file does not exist.
pub fn research_key_file(path: &Path) -> Result<ResearchKey, SecretError> {
    secret_file(path).map(ResearchKey::from_bytes)
}

fn secret_file(path: &Path) -> Result<[u8; 32], SecretError> {
    let io = |source| SecretError::Io {
        path: path.to_owned(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text).ok_or_else(|| SecretError::BadFile(path.into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let mut bytes = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut bytes);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(path) {
                Ok(mut f) => {
                    f.write_all(hex::encode(bytes).as_bytes()).map_err(io)?;
                    f.sync_all().map_err(io)?;
                    Ok(bytes)
                }
                // Another process created it meanwhile: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => secret_file(path),
                Err(e) => Err(io(e)),
            }
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_key_file_is_created_once_and_then_reused() {
        let dir = std::env::temp_dir().join(format!("nanbyo-key-{}", uuid::Uuid::new_v4()));
        let path = dir.join("pseudonym.key");
        let first = key_file(&path).expect("created");
        let second = key_file(&path).expect("read");
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").expect("write");
        assert!(matches!(key_file(&path), Err(SecretError::BadFile(_))));
        // The research key is a file of its own, with its own random key.
        let research = research_key_file(&dir.join(RESEARCH_KEY_FILE)).expect("created");
        assert_eq!(
            research,
            research_key_file(&dir.join(RESEARCH_KEY_FILE)).expect("read")
        );
        assert_ne!(research.to_hex(), first.to_hex());
        std::fs::remove_dir_all(dir).expect("cleanup");
    }
}
