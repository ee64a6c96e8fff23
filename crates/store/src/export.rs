//! A source's Bulk Data export in flight (migration 0009): what a sync resumes after a crash.

use crate::db::Store;
use crate::error::StoreError;
use crate::ingest::Writer;
use rusqlite::{params, OptionalExtension};

/// The cursor name under which an export's `transactionTime` is kept (the next round's `_since`).
pub const EXPORT_CURSOR: &str = "$export";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportJob {
    pub status_url: String,
    pub since: Option<String>,
    /// The manifest (JSON) once the job finished on the server.
    pub manifest: Option<String>,
    /// Files fully written to the cache, in the order the sync reads the manifest.
    pub files_done: usize,
}

impl Store {
    /// The source's export in flight, if one is.
    pub fn export_job(&self, source: &str) -> Result<Option<ExportJob>, StoreError> {
        let job = self
            .conn
            .query_row("SELECT status_url, since, manifest, files_done FROM export_job WHERE source = ?1", [source], |r| {
                Ok(ExportJob { status_url: r.get(0)?, since: r.get(1)?, manifest: r.get(2)?, files_done: r.get::<_, i64>(3)? as usize })
            })
            .optional()?;
        Ok(job)
    }

    /// Records an export just started on the server, before it is polled (a crash then polls it again).
    pub fn start_export_job(&self, source: &str, status_url: &str, since: Option<&str>) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO export_job (source, status_url, since) VALUES (?1, ?2, ?3)
             ON CONFLICT (source) DO UPDATE SET status_url = excluded.status_url, since = excluded.since, manifest = NULL, files_done = 0",
            params![source, status_url, since],
        )?;
        Ok(())
    }

    /// Records the finished job's manifest.
    pub fn set_export_manifest(&self, source: &str, manifest: &str) -> Result<(), StoreError> {
        self.conn.execute("UPDATE export_job SET manifest = ?2 WHERE source = ?1", params![source, manifest])?;
        Ok(())
    }

    /// Forgets a job the server no longer has (expired, or refused when polled): the next sync starts anew.
    pub fn drop_export_job(&self, source: &str) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM export_job WHERE source = ?1", [source])?;
        Ok(())
    }
}

impl Writer<'_> {
    /// Marks the job's first `files_done` files as written, with the rows of the last one.
    pub fn export_files_done(&mut self, source: &str, files_done: usize) -> Result<(), StoreError> {
        self.tx().execute("UPDATE export_job SET files_done = ?2 WHERE source = ?1", params![source, files_done as i64])?;
        Ok(())
    }

    /// Everything is in: the `_since` cursor moves to the export's time and the job row goes.
    pub fn finish_export_job(&mut self, source: &str, transaction_time: &str) -> Result<(), StoreError> {
        self.set_cursor(source, EXPORT_CURSOR, transaction_time)?;
        self.tx().execute("DELETE FROM export_job WHERE source = ?1", [source])?;
        Ok(())
    }
}
