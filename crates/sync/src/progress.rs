//! Progress reporting, so a terminal can draw a bar and the desktop app can emit events.

use crate::pull::TypeReport;

pub trait Progress: Send + Sync {
    /// A type starts; `total` is how many resources the server reports for it, when known.
    fn type_started(&self, _resource_type: &str, _total: Option<u64>) {}
    /// `count` more resources of the type were written.
    fn advanced(&self, _resource_type: &str, _count: u64) {}
    fn type_done(&self, _report: &TypeReport) {}
    /// A Bulk Data export is still being made on the server; `words` are its own (`X-Progress`).
    fn exporting(&self, _words: &str) {}
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {}
