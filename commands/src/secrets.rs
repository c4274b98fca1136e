//! Secrets held outside the database. The pseudonym key (see `domain::pseudonym`) comes from
//! `NANBYO_PSEUDONYM_KEY` (64 hexadecimal digits), or from the file `NANBYO_PSEUDONYM_KEY_FILE`
//! names, or — so that the service runs with no setup — from `pseudonym.key` beside the
//! embedded database, created with a random key (mode 0600) the first time. Whoever holds the
//! key and an extract can link its rows to other extracts; whoever holds the database alone
//! cannot recompute a pseudonym. Production keeps the key in the secret store and passes it by
//! environment; losing it makes later extracts unlinkable to earlier ones, nothing more.

use std::io::Write;
use std::path::{Path, PathBuf};

use domain::pseudonym::PseudonymKey;
use rand::RngCore;

pub const KEY_ENV: &str = "NANBYO_PSEUDONYM_KEY";
pub const KEY_FILE_ENV: &str = "NANBYO_PSEUDONYM_KEY_FILE";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{KEY_ENV} is not 64 hexadecimal digits")]
    BadEnv,
    #[error("the pseudonym key file {0} is not 64 hexadecimal digits")]
    BadFile(PathBuf),
    #[error("the pseudonym key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The pseudonym key from the environment, or from `default_file` (created if missing).
pub fn pseudonym_key(default_file: &Path) -> Result<PseudonymKey, SecretError> {
    if let Ok(text) = std::env::var(KEY_ENV) {
        return PseudonymKey::from_hex(&text).map_err(|_| SecretError::BadEnv);
    }
    let path = std::env::var_os(KEY_FILE_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| default_file.to_owned());
    key_file(&path)
}

/// The key in `path`, created with a fresh random key when the file does not exist.
pub fn key_file(path: &Path) -> Result<PseudonymKey, SecretError> {
    let io = |source| SecretError::Io {
        path: path.to_owned(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => PseudonymKey::from_hex(&text).map_err(|_| SecretError::BadFile(path.into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let mut bytes = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut bytes);
            let key = PseudonymKey::from_bytes(bytes);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(path) {
                Ok(mut f) => {
                    f.write_all(key.to_hex().as_bytes()).map_err(io)?;
                    f.sync_all().map_err(io)?;
                    Ok(key)
                }
                // Another process created it meanwhile: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => key_file(path),
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
        std::fs::remove_dir_all(dir).expect("cleanup");
    }
}
