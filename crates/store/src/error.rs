use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the OS keyring (Secret Service) cannot be used: {0}. Start or unlock the desktop keyring and try again")]
    KeyringUnavailable(String),
    #[error("the key for the cache at {path} is missing from the OS keyring, so the cache cannot be opened. Nothing was changed; restore the keyring entry, or move the file aside to start an empty cache that re-syncs")]
    KeyMissing { path: PathBuf },
    #[error("the cache key in the OS keyring is malformed (expected 64 hex digits). Nothing was changed")]
    KeyMalformed,
    #[error("the cache at {path} cannot be opened: the key in the OS keyring does not unlock it, or the file is damaged. Nothing was changed; move the file aside to start an empty cache that re-syncs")]
    CannotDecrypt { path: PathBuf },
    #[error("the cache was written by a newer Switchboard (schema {found}, this build knows {known}); update Switchboard")]
    TooNew { found: i64, known: i64 },
    #[error("a resource could not be stored: {0}")]
    BadResource(String),
    #[error("cache file problem at {path}: {detail}")]
    Io { path: PathBuf, detail: String },
    #[error("cache database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::KeyringUnavailable(_) => "store.keyring_unavailable",
            StoreError::KeyMissing { .. } => "store.key_missing",
            StoreError::KeyMalformed => "store.key_malformed",
            StoreError::CannotDecrypt { .. } => "store.cannot_decrypt",
            StoreError::TooNew { .. } => "store.too_new",
            StoreError::BadResource(_) => "store.bad_resource",
            StoreError::Io { .. } => "store.io",
            StoreError::Sqlite(_) => "store.sqlite",
        }
    }
}
