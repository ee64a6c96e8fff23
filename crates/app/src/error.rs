//! The application's errors, each with the kind of failure both front ends act on: the window shows it
//! as the boundary error's code, the CLI turns it into an exit code.

use switchboard_core::ConfigError;
use switchboard_demo::DemoError;
use switchboard_fhir::FhirError;
use switchboard_outbox::ActionError;
use switchboard_store::StoreError;
use switchboard_sync::SyncError;

/// What kind of failure an error is, for a front end to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The configuration (config.toml, rules.toml) or how it was asked for.
    Config,
    /// The OS keyring: unavailable, or a key missing or malformed.
    Keyring,
    /// The local cache: cannot be read, decrypted or written.
    Cache,
    /// A clinic server or the network.
    Network,
    /// A staff action that conflicts with what the server holds, or did not settle.
    Conflict,
    /// No such patient, source or action.
    NotFound,
    /// Input that cannot be acted on.
    Invalid,
    /// Anything else (the OS refused a file, no randomness).
    Internal,
}

impl ErrorKind {
    /// The code the window receives.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Keyring => "keyring",
            ErrorKind::Cache => "cache",
            ErrorKind::Network => "network",
            ErrorKind::Conflict => "conflict",
            ErrorKind::NotFound => "not-found",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Internal => "internal",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Rules(#[from] switchboard_rules::RulesError),
    #[error("{0}")]
    Keyring(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Fhir(#[from] FhirError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Demo(#[from] DemoError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// Queued actions that failed or conflict with a colleague's change.
    #[error("{0}")]
    Unsettled(String),
    #[error("{0}")]
    Internal(String),
}

impl From<ActionError> for AppError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::Invalid(words) => AppError::Invalid(words),
            ActionError::Store(e) => AppError::Store(e),
        }
    }
}

fn store_kind(e: &StoreError) -> ErrorKind {
    match e {
        StoreError::KeyringUnavailable(_) | StoreError::KeyMissing { .. } | StoreError::KeyMalformed => ErrorKind::Keyring,
        _ => ErrorKind::Cache,
    }
}

impl AppError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            AppError::Config(_) | AppError::Rules(_) => ErrorKind::Config,
            AppError::Keyring(_) => ErrorKind::Keyring,
            AppError::Store(e) | AppError::Sync(SyncError::Store(e)) | AppError::Demo(DemoError::Store(e)) => store_kind(e),
            AppError::Fhir(_) | AppError::Sync(_) | AppError::Demo(_) => ErrorKind::Network,
            AppError::NotFound(_) => ErrorKind::NotFound,
            AppError::Invalid(_) => ErrorKind::Invalid,
            AppError::Unsettled(_) => ErrorKind::Conflict,
            AppError::Internal(_) => ErrorKind::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_cache_key_is_a_keyring_failure_and_a_damaged_file_a_cache_failure() {
        assert_eq!(AppError::from(StoreError::KeyMalformed).kind(), ErrorKind::Keyring);
        let damaged = StoreError::CannotDecrypt { path: "cache.db".into() };
        assert_eq!(AppError::from(damaged).kind(), ErrorKind::Cache);
        assert_eq!(AppError::from(ActionError::Invalid("no".into())).kind(), ErrorKind::Invalid);
        assert_eq!(AppError::Unsettled("2 failed".into()).kind().code(), "conflict");
    }
}
