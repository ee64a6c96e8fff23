//! A FHIR R4 REST client for Switchboard's connectors.
//!
//! It follows `Bundle.link[next]` verbatim, retries what is worth retrying (honouring `Retry-After` on
//! 429 and 503), times out, accepts gzip, and turns OperationOutcome bodies and proxy error pages into
//! errors a person can read.

mod bulk;
mod capability;
mod client;
mod error;
mod page;
mod token;

pub use bulk::{ExportFile, ExportReader, ExportStatus, Manifest, DEFAULT_POLL};
pub use capability::Capabilities;
pub use client::{ClientOptions, FhirClient, RetryPolicy, DEFAULT_MAX_RESPONSE_MB};
pub use error::FhirError;
pub use page::{HistoryEntry, Page, PageTrail, DEFAULT_MAX_PAGES};
pub use token::{TokenFuture, TokenSource};
