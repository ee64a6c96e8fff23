//! CLI errors and the exit codes scripts can rely on.

use switchboard_core::ConfigError;
use switchboard_demo::DemoError;
use switchboard_fhir::FhirError;
use switchboard_store::StoreError;
use switchboard_sync::SyncError;

pub const USAGE: u8 = 2;
pub const NOT_FOUND: u8 = 3;
pub const CACHE: u8 = 4;
pub const SERVER: u8 = 5;
pub const UNSETTLED: u8 = 6;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Fhir(#[from] FhirError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Demo(#[from] DemoError),
    #[error(transparent)]
    Rules(#[from] switchboard_rules::RulesError),
    #[error("{0}")]
    Other(String),
    /// Some queued actions failed or conflict with a colleague's change.
    #[error("{0}")]
    Unsettled(String),
}

impl CliError {
    /// 2 usage or config, 3 not found, 4 cache or keyring, 5 server or network, 6 actions failed or in
    /// conflict, 1 anything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Config(_) | CliError::Rules(_) => USAGE,
            CliError::NotFound(_) => NOT_FOUND,
            CliError::Store(_) | CliError::Demo(DemoError::Store(_)) => CACHE,
            CliError::Sync(SyncError::Store(_)) => CACHE,
            CliError::Fhir(_) | CliError::Sync(_) | CliError::Demo(_) => SERVER,
            CliError::Other(_) => 1,
            CliError::Unsettled(_) => UNSETTLED,
        }
    }
}
