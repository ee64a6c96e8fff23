//! The application core both front ends use, the desktop window (`src-tauri`) and the CLI: the loaded
//! configuration and sources, one FHIR client per source, secrets read from the OS keyring once, the
//! operations the window and the verbs call, and the long-lived background worker.

mod audit;
mod context;
mod error;
mod hl7;
mod identity;
pub mod live_demo;
mod operations;
mod partial;
mod roles;
mod secrets;
mod signin;
mod sources;
mod unlock;
mod worker;

pub use audit::Delivered;
pub use context::{runtime, App};
pub use error::{AppError, ErrorKind};
pub use hl7::Hl7Problems;
pub use identity::Relinked;
pub use secrets::{call_token, session, source_token, store_session, store_source_token, StoredSession};
pub use signin::open_in_browser;
pub use sources::{source_entry, ClinicInfo, SourceView};
pub use unlock::{PIN_DIGITS, PIN_TRIES};
pub use worker::{AppEvent, ChangeReason, DataChanged, Job, Jobs, Notify, Rounds, SyncProgress, Worker};

/// Keyring reads and cache opens since the process started: a long-running process should do each
/// once (the worker is measured by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub keyring_reads: u64,
    pub cache_opens: u64,
}

impl Usage {
    pub fn now() -> Usage {
        let (keyring_reads, cache_opens) = switchboard_store::usage::counts();
        Usage { keyring_reads, cache_opens }
    }
}

/// Logs go to stderr, at `warn` unless `SWITCHBOARD_LOG` says otherwise. They carry ids and counts only.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SWITCHBOARD_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
