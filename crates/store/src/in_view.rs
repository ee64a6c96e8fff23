//! The patients staff will meet soon: the ones a restricted server's sync reads per patient first, and
//! the ones a partial cache keeps. Everyone else of a partial source leaves the cache after its
//! retention time, with every row about them.

use crate::audit::stamp;
use crate::schedule::{start_key, STARTS_IN_WINDOW};
use crate::{Store, StoreError, Writer};
use chrono::{DateTime, Duration, Utc};
use rusqlite::params;

/// Task states that need no one any more.
const CLOSED_TASK: &str = "('completed', 'cancelled', 'rejected', 'failed', 'entered-in-error')";

/// The window around `now` a sync treats as "in view": from a day back (time zones, today's early
/// visits) to `days` ahead.
pub fn view_window(now: DateTime<Utc>, days: u32) -> (DateTime<Utc>, DateTime<Utc>) {
    (now - Duration::days(1), now + Duration::days(i64::from(days)))
}

/// The patients in view: ?1 source, ?2 and ?3 the appointments' window (`start_key`), ?4 how far back
/// tasks, calls and opens count. Each type is read by its index, named where the planner would rather
/// walk the primary key in patient order (for the union) across the whole source.
pub(crate) fn patients_in_view_sql() -> String {
    format!(
        "SELECT patient_id FROM resource WHERE source = ?1 AND type = 'Appointment' AND patient_id != '' AND {STARTS_IN_WINDOW}
         UNION SELECT patient_id FROM resource INDEXED BY task_rows WHERE source = ?1 AND type = 'Task' AND patient_id != ''
             AND coalesce(json_extract(json, '$.status'), '') NOT IN {CLOSED_TASK}
         UNION SELECT patient_id FROM resource INDEXED BY resource_by_id WHERE source = ?1 AND type = 'Communication' AND patient_id != ''
             AND json_extract(json, '$.sent') >= ?4
         UNION SELECT patient FROM call_log WHERE source = ?1 AND patient IS NOT NULL AND started >= ?4
         UNION SELECT patient FROM patient_opened WHERE source = ?1 AND opened_at >= ?4
         ORDER BY 1"
    )
}

impl Store {
    /// The source's patients in view at `now`: an appointment in the window, an open task, a call or
    /// a logged communication in the last `days`, or opened in that time. Sorted, each once.
    pub fn patients_in_view(&self, source: &str, now: DateTime<Utc>, days: u32) -> Result<Vec<String>, StoreError> {
        let (from, until) = view_window(now, days);
        let back = stamp(now - Duration::days(i64::from(days)));
        let mut stmt = self.conn.prepare_cached(&patients_in_view_sql())?;
        let rows = stmt.query_map(params![source, start_key(from), start_key(until), back], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Removes the source's patients not seen since `now - retention_days` and not in view, with every
    /// resource, search token, alert, call and bookkeeping row about them. Deleted pages are zeroed
    /// (`secure_delete`), so nothing of them stays in the file. Returns the patients that left.
    pub fn evict_unseen(&mut self, source: &str, now: DateTime<Utc>, focus_days: u32, retention_days: u32) -> Result<Vec<String>, StoreError> {
        let keep = self.patients_in_view(source, now, focus_days)?;
        let cutoff = stamp(now - Duration::days(i64::from(retention_days)));
        let candidates: Vec<String> = {
            // Every patient the source's rows are about (shared work may name one whose record is not held).
            // A Patient's patient_id is its own id.
            let mut stmt = self.conn.prepare_cached(
                "SELECT r.patient FROM (SELECT patient_id AS patient, synced_at FROM resource WHERE source = ?1) r
                 LEFT JOIN patient_seen s ON s.source = ?1 AND s.patient = r.patient
                 WHERE r.patient != '' GROUP BY r.patient HAVING max(coalesce(s.seen_at, r.synced_at)) < ?2 ORDER BY r.patient",
            )?;
            let rows = stmt.query_map(params![source, cutoff], |r| r.get::<_, String>(0))?;
            rows.collect::<Result<Vec<_>, _>>()?.into_iter().filter(|p| keep.binary_search(p).is_err()).collect()
        };
        if candidates.is_empty() {
            return Ok(candidates);
        }
        self.conn.pragma_update(None, "secure_delete", true)?;
        let evicted = self.forget_patients(source, &candidates);
        self.conn.pragma_update(None, "secure_delete", false)?;
        evicted?;
        Ok(candidates)
    }

    /// How many rows of the cache are about one patient (their resources, search tokens, alerts,
    /// calls and bookkeeping); the audit log, which must outlive them, is not counted.
    pub fn rows_about(&self, source: &str, patient: &str) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM resource WHERE source = ?1 AND patient_id = ?2)
                  + (SELECT count(*) FROM patient_token WHERE source = ?1 AND patient_id = ?2)
                  + (SELECT count(*) FROM patient_key WHERE source = ?1 AND patient_id = ?2)
                  + (SELECT count(*) FROM link_key WHERE source = ?1 AND patient = ?2)
                  + (SELECT count(*) FROM alert WHERE source = ?1 AND patient_id = ?2)
                  + (SELECT count(*) FROM call_log WHERE source = ?1 AND patient = ?2)
                  + (SELECT count(*) FROM patient_opened WHERE source = ?1 AND patient = ?2)
                  + (SELECT count(*) FROM patient_seen WHERE source = ?1 AND patient = ?2)",
            params![source, patient],
            |r| r.get(0),
        )?)
    }

    fn forget_patients(&mut self, source: &str, patients: &[String]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for patient in patients {
            tx.execute(
                "DELETE FROM change_log WHERE source = ?1 AND (type, id) IN
                     (SELECT type, id FROM resource WHERE source = ?1 AND patient_id = ?2)",
                params![source, patient],
            )?;
            tx.execute("DELETE FROM resource WHERE source = ?1 AND patient_id = ?2", params![source, patient])?;
            for table in ["patient_token WHERE source = ?1 AND patient_id = ?2", "alert WHERE source = ?1 AND patient_id = ?2"] {
                tx.execute(&format!("DELETE FROM {table}"), params![source, patient])?;
            }
            crate::search::index_for_search(&tx, source, patient, &[])?;
            for table in ["call_log", "patient_opened", "patient_seen", "link_key"] {
                tx.execute(&format!("DELETE FROM {table} WHERE source = ?1 AND patient = ?2"), params![source, patient])?;
            }
        }
        Ok(tx.commit()?)
    }
}

impl Writer<'_> {
    /// Records that these patients were seen (opened, found, or in view) at `now`.
    pub fn mark_seen(&mut self, source: &str, patients: &[String], now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut stmt = self.tx().prepare_cached(
            "INSERT INTO patient_seen (source, patient, seen_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (source, patient) DO UPDATE SET seen_at = max(seen_at, excluded.seen_at)",
        )?;
        for patient in patients {
            stmt.execute(params![source, patient, stamp(now)])?;
        }
        Ok(())
    }
}
