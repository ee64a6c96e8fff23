//! Pull sync from one FHIR server into the cache.
//!
//! Per resource type: a `_lastUpdated` search from the high-water mark (taken from the server's own
//! timestamps, minus an overlap), pages followed verbatim while the previous page is being written, rows
//! deduplicated on (type, id, versionId), and the new cursor committed in the same transaction as the last
//! page. Deletions come from `_history` where the server offers it, otherwise from reconciling ids.
//! A sync stopped at any point leaves the cursor where it was, so the next one fetches the rest again.
//! A server that searches some types only per patient, or a source configured so, is read through
//! Bulk Data `$export` instead (`strategy`, `export`).

mod deletes;
mod export;
mod focus;
mod patient;
mod progress;
mod pull;
mod strategy;

pub use patient::refresh_patient;
pub use progress::{NoProgress, Progress};
pub use pull::{sync_source, DeleteDetection, SyncError, SyncOptions, SyncReport, TypeReport};
pub use strategy::{choose, ExportLevel, Method, Strategy};
