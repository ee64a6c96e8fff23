//! How each source's syncs went: shown beside the data it contributed.

use crate::db::Store;
use crate::error::StoreError;
use rusqlite::params;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct SourceStatus {
    pub name: String,
    pub base_url: String,
    pub last_synced: Option<String>,
    pub last_error: Option<String>,
}

impl Store {
    pub fn record_sync_start(&self, source: &str, base_url: &str, at: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO source_status (source, base_url, last_sync_start) VALUES (?1, ?2, ?3)
             ON CONFLICT (source) DO UPDATE SET base_url = excluded.base_url, last_sync_start = excluded.last_sync_start",
            params![source, base_url, at],
        )?;
        Ok(())
    }

    /// A finished sync clears the last error; `capabilities` is the server's CapabilityStatement summary.
    pub fn record_sync_done(&self, source: &str, at: &str, capabilities: Option<&str>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE source_status SET last_synced = ?2, last_error = NULL, capabilities = coalesce(?3, capabilities)
             WHERE source = ?1",
            params![source, at, capabilities],
        )?;
        Ok(())
    }

    pub fn record_sync_error(&self, source: &str, message: &str) -> Result<(), StoreError> {
        self.conn.execute("UPDATE source_status SET last_error = ?2 WHERE source = ?1", params![source, message])?;
        Ok(())
    }

    pub fn source_statuses(&self) -> Result<Vec<SourceStatus>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT source, base_url, last_synced, last_error FROM source_status ORDER BY source")?;
        let rows = stmt.query_map([], |r| Ok(SourceStatus { name: r.get(0)?, base_url: r.get(1)?, last_synced: r.get(2)?, last_error: r.get(3)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// What the cache holds: counts per type and each source's sync status.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Overview {
    pub counts: Vec<(String, i64)>,
    pub sources: Vec<SourceStatus>,
}

impl Store {
    pub fn overview(&self) -> Result<Overview, StoreError> {
        Ok(Overview { counts: self.counts()?, sources: self.source_statuses()? })
    }
}
