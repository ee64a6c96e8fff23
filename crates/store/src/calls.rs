//! The local call log: time, number, duration, agent and disposition of each call, per patient.

use crate::db::Store;
use crate::error::StoreError;
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;
use switchboard_core::CallDisposition;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct CallRow {
    pub call_id: String,
    pub number: String,
    pub started: String,
    pub answered: Option<String>,
    pub ended: Option<String>,
    pub seconds: u32,
    pub agent: String,
    pub disposition: CallDisposition,
    pub source: Option<String>,
    pub patient: Option<String>,
    /// The outbox action that writes the call back, once queued.
    pub action: Option<String>,
}

const COLUMNS: &str = "call_id, number, started, answered, ended, seconds, agent, disposition, source, patient, action";

fn row(r: &Row<'_>) -> rusqlite::Result<CallRow> {
    Ok(CallRow {
        call_id: r.get(0)?,
        number: r.get(1)?,
        started: r.get(2)?,
        answered: r.get(3)?,
        ended: r.get(4)?,
        seconds: r.get(5)?,
        agent: r.get(6)?,
        disposition: crate::word(r, 7)?,
        source: r.get(8)?,
        patient: r.get(9)?,
        action: r.get(10)?,
    })
}

impl Store {
    /// Writes the call as it stands now (insert or replace by call id).
    pub fn save_call(&self, call: &CallRow) -> Result<(), StoreError> {
        self.conn.prepare_cached(&format!("INSERT OR REPLACE INTO call_log ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"))?.execute(
            params![
                call.call_id,
                call.number,
                call.started,
                call.answered,
                call.ended,
                call.seconds,
                call.agent,
                call.disposition.as_str(),
                call.source,
                call.patient,
                call.action
            ],
        )?;
        Ok(())
    }

    pub fn call(&self, call_id: &str) -> Result<Option<CallRow>, StoreError> {
        Ok(self.conn.prepare_cached(&format!("SELECT {COLUMNS} FROM call_log WHERE call_id = ?1"))?.query_row([call_id], row).optional()?)
    }

    /// A patient's calls, newest first.
    pub fn calls_for(&self, source: &str, patient: &str, limit: u32) -> Result<Vec<CallRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM call_log WHERE source = ?1 AND patient = ?2 ORDER BY started DESC LIMIT ?3");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![source, patient, limit], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
