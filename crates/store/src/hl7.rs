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

    /// Forgets what the log need not keep: the bytes of messages applied before `before` (their row
    /// stays, so a late resend is still answered from it), and all but the newest `keep` messages from
    /// `sender` (the unreadable ones, each logged under an id of its own, so noise on the port cannot
    /// fill the disk). Returns how many messages it touched.
    pub fn hl7_prune(&mut self, before: &str, sender: &str, keep: usize) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let erased = tx.execute("UPDATE hl7_message SET raw = x'' WHERE state = 'applied' AND received_at < ?1 AND length(raw) > 0", [before])?;
        let dropped = tx.execute(
            "DELETE FROM hl7_message WHERE sender = ?1 AND seq NOT IN (SELECT seq FROM hl7_message WHERE sender = ?1 ORDER BY seq DESC LIMIT ?2)",
            params![sender, keep as i64],
        )?;
        tx.commit()?;
        Ok(erased + dropped)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn log(store: &mut Store, at: &str, sender: &str, control_id: &str, state: &str) {
        let mut writer = store.writer(at).unwrap();
        let outcome = Hl7Outcome { state, ack_code: "AA", error_code: None, reason: None, action_id: None };
        writer.log_hl7(sender, control_id, "ORU^R01", b"MSH|^~\\&|LIS", &outcome).unwrap();
        writer.commit().unwrap();
    }

    #[test]
    fn pruning_drops_old_applied_bytes_and_surplus_unreadables_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_with_key(&dir.path().join("cache.db"), &[3; 32], "US").unwrap();
        log(&mut store, "2026-01-01T00:00:00.000Z", "LIS", "OLD", "applied");
        log(&mut store, "2026-01-01T00:00:00.000Z", "LIS", "HELD", "held");
        log(&mut store, "2026-03-01T00:00:00.000Z", "LIS", "NEW", "applied");
        for n in 0..5 {
            log(&mut store, "2026-03-01T00:00:00.000Z", "unreadable", &format!("U{n}"), "refused");
        }
        assert_eq!(store.hl7_prune("2026-02-01T00:00:00.000Z", "unreadable", 2).unwrap(), 4);
        let bytes = |id: &str| store.hl7_logged("LIS", id).unwrap().map(|l| store.hl7_message(l.seq).unwrap().unwrap().1.len());
        assert_eq!(bytes("OLD"), Some(0), "the row stays (a late resend is still answered) without the message");
        assert!(bytes("HELD").unwrap() > 0, "a held message waits for staff, however old");
        assert!(bytes("NEW").unwrap() > 0);
        let unreadable: Vec<String> = store.hl7_problems(100).unwrap().into_iter().filter(|m| m.sender == "unreadable").map(|m| m.control_id).collect();
        assert_eq!(unreadable, ["U4", "U3"], "the newest unreadable messages are kept");
        assert_eq!(store.hl7_prune("2026-02-01T00:00:00.000Z", "unreadable", 2).unwrap(), 0, "nothing twice");
    }
}
