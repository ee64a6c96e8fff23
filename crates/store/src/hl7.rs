//! The HL7 feed's message log: what each message came to, its acknowledgement, and the message kept
//! for a replay.

use crate::{Store, StoreError, Writer};
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

/// One logged message, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct Hl7Logged {
    pub seq: i64,
    pub sender: String,
    pub control_id: String,
    pub kind: String,
    pub received_at: String,
    pub state: String,
    pub ack_code: String,
    /// The HL7 error code (table 0357) of a refusal.
    pub error_code: Option<u16>,
    pub reason: Option<String>,
    pub action_id: Option<String>,
}

/// What a message came to, as logged.
pub struct Hl7Outcome<'a> {
    pub state: &'a str,
    pub ack_code: &'a str,
    pub error_code: Option<u16>,
    pub reason: Option<&'a str>,
    pub action_id: Option<&'a str>,
}

const COLUMNS: &str = "seq, sender, control_id, kind, received_at, state, ack_code, error_code, reason, action_id";

fn logged(row: &Row<'_>) -> rusqlite::Result<Hl7Logged> {
    Ok(Hl7Logged {
        seq: row.get(0)?,
        sender: row.get(1)?,
        control_id: row.get(2)?,
        kind: row.get(3)?,
        received_at: row.get(4)?,
        state: row.get(5)?,
        ack_code: row.get(6)?,
        error_code: row.get(7)?,
        reason: row.get(8)?,
        action_id: row.get(9)?,
    })
}

impl Store {
    /// The message this sender sent under this control id before, if any.
    pub fn hl7_logged(&self, sender: &str, control_id: &str) -> Result<Option<Hl7Logged>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM hl7_message WHERE sender = ?1 AND control_id = ?2");
        Ok(self.conn.prepare_cached(&sql)?.query_row(params![sender, control_id], logged).optional()?)
    }

    /// The messages refused or held, newest first.
    pub fn hl7_problems(&self, limit: usize) -> Result<Vec<Hl7Logged>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM hl7_message WHERE state != 'applied' ORDER BY seq DESC LIMIT ?1");
        let rows = self.conn.prepare_cached(&sql)?.query_map([limit as i64], logged)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Whether any message was ever logged here.
    pub fn hl7_logs_any(&self) -> Result<bool, StoreError> {
        Ok(self.conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM hl7_message)")?.query_row([], |r| r.get(0))?)
    }

    /// One logged message and its bytes.
    pub fn hl7_message(&self, seq: i64) -> Result<Option<(Hl7Logged, Vec<u8>)>, StoreError> {
        let sql = format!("SELECT {COLUMNS}, raw FROM hl7_message WHERE seq = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([seq], |r| Ok((logged(r)?, r.get(10)?))).optional()?)
    }

    /// Makes every commit so far survive a power cut, not only a killed process: the feed acknowledges
    /// a message only after this, and the sender then forgets it. Commits are written to the WAL
    /// without a sync of their own (`synchronous = NORMAL`); one sync of the WAL file here covers all of
    /// them, so messages waiting on several connections share it (a group commit). A checkpoint that
    /// moved frames into the database file synced that file first.
    pub fn sync_commits(&self) -> Result<(), StoreError> {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        let wal = std::path::PathBuf::from(wal);
        let failed = |detail: String| StoreError::Io { path: wal.clone(), detail };
        match std::fs::File::open(&wal) {
            Ok(file) => file.sync_data().map_err(|e| failed(format!("the write-ahead log could not be synced to disk: {e}"))),
            // No WAL file: nothing was written since the last checkpoint removed it.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(failed(format!("the write-ahead log could not be opened: {e}"))),
        }
    }
}

impl Writer<'_> {
    /// Logs a message's outcome; a replay's new outcome replaces the old one.
    pub fn log_hl7(&mut self, sender: &str, control_id: &str, kind: &str, raw: &[u8], outcome: &Hl7Outcome<'_>) -> Result<i64, StoreError> {
        let received_at = self.synced_at().to_string();
        let seq = self.tx().query_row(
            "INSERT INTO hl7_message (sender, control_id, kind, received_at, state, ack_code, error_code, reason, action_id, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (sender, control_id) DO UPDATE SET state = excluded.state, ack_code = excluded.ack_code,
               error_code = excluded.error_code, reason = excluded.reason, action_id = excluded.action_id
             RETURNING seq",
            params![sender, control_id, kind, received_at, outcome.state, outcome.ack_code, outcome.error_code, outcome.reason, outcome.action_id, raw],
            |r| r.get(0),
        )?;
        Ok(seq)
    }
}
