//! The audit log: who saw which patient, searched for what, and did what, from which workstation.
//! A row is written in the same transaction as what it records and stays until its source has the
//! AuditEvent (`switchboard_outbox::audit` sends them in batches).

use crate::db::Store;
use crate::error::StoreError;
use crate::ingest::Writer;
use crate::view::PatientView;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rusqlite::params;
use serde::Serialize;
use switchboard_core::{Actor, AuditAction};

/// The same read by the same person within this long is one event: the window reads a workspace again
/// on every data change, and that is not a second look.
pub const REPEAT_WINDOW_MINUTES: i64 = 5;

/// What one audit event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub action: AuditAction,
    /// Where the event is sent: the patient's source, else the clinic's first.
    pub source: String,
    pub patient: Option<String>,
    /// What was read or done, in words.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS), serde(rename_all = "camelCase"))]
pub struct AuditRow {
    pub seq: i64,
    pub id: String,
    pub recorded: String,
    pub user: String,
    pub user_name: String,
    pub workstation: String,
    pub action: AuditAction,
    pub source: String,
    pub patient: Option<String>,
    pub detail: String,
    pub sent: Option<String>,
    pub error: Option<String>,
}

/// The supervisor's filter: any of user (reference or name), patient id, and a time range.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS), serde(rename_all = "camelCase"))]
pub struct AuditFilter {
    pub user: Option<String>,
    pub patient: Option<String>,
    #[cfg_attr(feature = "wire", ts(type = "string | null"))]
    pub since: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "wire", ts(type = "string | null"))]
    pub until: Option<DateTime<Utc>>,
    pub limit: Option<u32>,
}

const COLUMNS: &str = "seq, id, recorded, user, user_name, workstation, action, source, patient, detail, sent, error";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        recorded: r.get(2)?,
        user: r.get(3)?,
        user_name: r.get(4)?,
        workstation: r.get(5)?,
        action: crate::word(r, 6)?,
        source: r.get(7)?,
        patient: r.get(8)?,
        detail: r.get(9)?,
        sent: r.get(10)?,
        error: r.get(11)?,
    })
}

pub(crate) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Writer<'_> {
    /// Records an event in this transaction; false when the same one was recorded moments ago.
    pub fn audit(&mut self, actor: &Actor, entry: &AuditEntry, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let user = actor.user_key();
        let action = entry.action.as_str();
        if !entry.action.failed() {
            let since = stamp(now - Duration::minutes(REPEAT_WINDOW_MINUTES));
            let repeat = self
                .tx()
                .prepare_cached(
                    "SELECT 1 FROM audit_log INDEXED BY audit_recent
                     WHERE user = ?1 AND action = ?2 AND patient IS ?3 AND recorded > ?4 AND source = ?5 AND detail = ?6 LIMIT 1",
                )?
                .exists(params![user, action, entry.patient, since, entry.source, entry.detail])?;
            if repeat {
                return Ok(false);
            }
        }
        self.tx()
            .prepare_cached(
                "INSERT INTO audit_log (id, recorded, user, user_name, workstation, action, source, patient, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![crate::new_uuid(), stamp(now), user, actor.name, actor.workstation, action, entry.source, entry.patient, entry.detail])?;
        Ok(true)
    }
}

impl Store {
    /// Records one event in a transaction of its own.
    pub fn audit(&mut self, actor: &Actor, entry: &AuditEntry, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut writer = self.writer(&stamp(now))?;
        let recorded = writer.audit(actor, entry, now)?;
        writer.commit()?;
        Ok(recorded)
    }

    /// A patient's workspace for a person: the view, and in one transaction the workstation's record
    /// that they opened it and the audit event. Nothing is recorded for a patient not in the cache.
    pub fn open_patient(&mut self, actor: &Actor, source: &str, patient: &str, now: DateTime<Utc>) -> Result<Option<PatientView>, StoreError> {
        let Some(view) = self.patient_view(source, patient, now)? else { return Ok(None) };
        let mut writer = self.writer(&stamp(now))?;
        writer
            .tx()
            .prepare_cached(
                "INSERT INTO patient_opened (source, patient, user, opened_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (source, patient) DO UPDATE SET user = excluded.user, opened_at = excluded.opened_at",
            )?
            .execute(params![source, patient, actor.user_key(), stamp(now)])?;
        let entry = AuditEntry { action: AuditAction::View, source: source.into(), patient: Some(patient.into()), detail: "workspace".into() };
        writer.audit(actor, &entry, now)?;
        writer.mark_seen(source, &[patient.to_string()], now)?;
        writer.commit()?;
        Ok(Some(view))
    }

    /// The log, newest first, as the filter narrows it (500 rows unless it says).
    pub fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM audit_log
             WHERE (?1 IS NULL OR user = ?1 OR user_name = ?1) AND (?2 IS NULL OR patient = ?2)
               AND (?3 IS NULL OR recorded >= ?3) AND (?4 IS NULL OR recorded < ?4)
             ORDER BY seq DESC LIMIT ?5"
        ))?;
        let (since, until) = (filter.since.map(stamp), filter.until.map(stamp));
        let rows = stmt.query_map(params![filter.user, filter.patient, since, until, filter.limit.unwrap_or(500)], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The oldest unsent events of `source` (of every source with None), at most `limit`.
    pub fn audits_to_send(&self, source: Option<&str>, limit: u32) -> Result<Vec<AuditRow>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached(&format!("SELECT {COLUMNS} FROM audit_log WHERE sent IS NULL AND (?1 IS NULL OR source = ?1) ORDER BY seq LIMIT ?2"))?;
        let rows = stmt.query_map(params![source, limit], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks a batch as taken by the server (`Ok`) or as tried and refused (`Err` with why).
    pub fn audits_delivered(&mut self, ids: &[String], outcome: Result<DateTime<Utc>, &str>) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut update = match outcome {
                Ok(_) => tx.prepare_cached("UPDATE audit_log SET sent = ?2, error = NULL, attempts = attempts + 1 WHERE id = ?1")?,
                Err(_) => tx.prepare_cached("UPDATE audit_log SET error = ?2, attempts = attempts + 1 WHERE id = ?1")?,
            };
            let value = match outcome {
                Ok(at) => stamp(at),
                Err(error) => error.to_string(),
            };
            for id in ids {
                update.execute(params![id, value])?;
            }
        }
        Ok(tx.commit()?)
    }

    /// Events waiting to be sent, per source.
    pub fn unsent_audits(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT count(*) FROM audit_log WHERE sent IS NULL", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with_key(&dir.path().join("cache.db"), &[3; 32], "US").unwrap();
        (dir, store)
    }

    fn actor(name: &str) -> Actor {
        Actor { practitioner: Some(format!("Practitioner/{name}")), name: name.into(), workstation: "desk-1".into() }
    }

    fn view(patient: &str) -> AuditEntry {
        AuditEntry { action: AuditAction::View, source: "ehr".into(), patient: Some(patient.into()), detail: "workspace".into() }
    }

    #[test]
    fn a_repeated_read_within_the_window_is_one_event_and_a_later_one_is_another() {
        let (_dir, mut store) = store();
        let t0 = Utc::now();
        assert!(store.audit(&actor("ann"), &view("p1"), t0).unwrap());
        assert!(!store.audit(&actor("ann"), &view("p1"), t0 + Duration::minutes(1)).unwrap());
        // Another person, another patient, or the window passed: each its own event.
        assert!(store.audit(&actor("bob"), &view("p1"), t0 + Duration::minutes(1)).unwrap());
        assert!(store.audit(&actor("ann"), &view("p2"), t0 + Duration::minutes(1)).unwrap());
        assert!(store.audit(&actor("ann"), &view("p1"), t0 + Duration::minutes(REPEAT_WINDOW_MINUTES + 1)).unwrap());
        // Refusals are never folded.
        let refused = AuditEntry { action: AuditAction::Refused, ..view("p1") };
        assert!(store.audit(&actor("ann"), &refused, t0).unwrap());
        assert!(store.audit(&actor("ann"), &refused, t0).unwrap());
        assert_eq!(store.audit_log(&AuditFilter::default()).unwrap().len(), 6);
    }

    #[test]
    fn the_log_filters_by_user_patient_and_time_and_sending_marks_rows() {
        let (_dir, mut store) = store();
        let t0 = Utc::now();
        store.audit(&actor("ann"), &view("p1"), t0).unwrap();
        store.audit(&actor("bob"), &view("p1"), t0 + Duration::hours(1)).unwrap();
        store.audit(&actor("ann"), &view("p2"), t0 + Duration::hours(2)).unwrap();
        let log = |filter: AuditFilter| store.audit_log(&filter).unwrap().into_iter().map(|r| (r.user_name, r.patient.unwrap())).collect::<Vec<_>>();
        assert_eq!(log(AuditFilter { user: Some("ann".into()), ..Default::default() }), [("ann".into(), "p2".into()), ("ann".into(), "p1".into())]);
        assert_eq!(log(AuditFilter { user: Some("Practitioner/bob".into()), ..Default::default() }), [("bob".to_string(), "p1".to_string())]);
        assert_eq!(
            log(AuditFilter { patient: Some("p1".into()), since: Some(t0 + Duration::minutes(30)), ..Default::default() }),
            [("bob".into(), "p1".into())]
        );
        assert_eq!(log(AuditFilter { until: Some(t0 + Duration::minutes(30)), ..Default::default() }), [("ann".into(), "p1".into())]);

        let batch: Vec<String> = store.audits_to_send(Some("ehr"), 2).unwrap().into_iter().map(|r| r.id).collect();
        assert_eq!(batch.len(), 2);
        store.audits_delivered(&batch, Err("the server said no")).unwrap();
        assert_eq!(store.audits_to_send(None, 10).unwrap().len(), 3, "a refused batch stays to send");
        store.audits_delivered(&batch, Ok(t0)).unwrap();
        let left = store.audits_to_send(None, 10).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(store.unsent_audits().unwrap(), 1);
    }

    #[test]
    fn opening_a_patient_records_the_view_only_for_a_cached_patient() {
        let (_dir, mut store) = store();
        let now = Utc::now();
        assert!(store.open_patient(&actor("ann"), "ehr", "nobody", now).unwrap().is_none());
        assert!(store.audit_log(&AuditFilter::default()).unwrap().is_empty());
        let mut writer = store.writer(&stamp(now)).unwrap();
        let patient = serde_json::json!({"resourceType": "Patient", "id": "p1", "meta": {"versionId": "1", "lastUpdated": stamp(now)}});
        writer.upsert("ehr", &patient.to_string()).unwrap();
        writer.commit().unwrap();
        assert!(store.open_patient(&actor("ann"), "ehr", "p1", now).unwrap().is_some());
        let log = store.audit_log(&AuditFilter::default()).unwrap();
        assert_eq!((log.len(), log[0].action, log[0].patient.as_deref(), log[0].workstation.as_str()), (1, AuditAction::View, Some("p1"), "desk-1"));
    }
}
