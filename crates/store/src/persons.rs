//! Who is who across sources, as the identity layer last worked it out: each linked person's records,
//! and the pairs waiting for a person to decide. Rebuilt whole in one transaction.

use crate::db::Store;
use crate::error::StoreError;
use crate::view::{banner_of, Banner};
use chrono::NaiveDate;
use rusqlite::params;
use serde::Serialize;

/// One patient record: (source, Patient id).
pub type RecordRef = (String, String);

/// A pair put to staff: two records that may be one person, the score and the fields behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct ReviewPair {
    pub a_source: String,
    pub a_patient: String,
    pub b_source: String,
    pub b_patient: String,
    pub score: f64,
    pub why: String,
    /// Each record as staff compare them: name, birth date, phones, MRN (none when no longer cached).
    pub a: Option<Banner>,
    pub b: Option<Banner>,
}

impl Store {
    /// Replaces the links and the review queue: `persons` are the persons of two or more records. With
    /// a `scope` (whole persons), only its records' links and the pairs within it are replaced.
    pub fn replace_persons(&mut self, scope: Option<&[RecordRef]>, persons: &[Vec<RecordRef>], review: &[ReviewPair]) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        match scope {
            None => {
                tx.execute("DELETE FROM person_link", [])?;
                tx.execute("DELETE FROM link_review", [])?;
            }
            Some(records) => {
                let mut unlink = tx.prepare_cached("DELETE FROM person_link WHERE source = ?1 AND patient = ?2")?;
                for (source, patient) in records {
                    unlink.execute(params![source, patient])?;
                }
                // The queue is small (pairs waiting for staff); the scope may be thousands of records.
                let scope: std::collections::HashSet<&RecordRef> = records.iter().collect();
                let pairs: Vec<[String; 4]> = tx
                    .prepare_cached("SELECT a_source, a_patient, b_source, b_patient FROM link_review")?
                    .query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]))?
                    .collect::<Result<_, _>>()?;
                let mut unpair = tx.prepare_cached("DELETE FROM link_review WHERE a_source = ?1 AND a_patient = ?2 AND b_source = ?3 AND b_patient = ?4")?;
                for [a_source, a, b_source, b] in pairs {
                    if scope.contains(&(a_source.clone(), a.clone())) && scope.contains(&(b_source.clone(), b.clone())) {
                        unpair.execute(params![a_source, a, b_source, b])?;
                    }
                }
            }
        }
        {
            let mut link = tx.prepare_cached("INSERT INTO person_link (source, patient, person) VALUES (?1, ?2, ?3)")?;
            for person in persons.iter().filter(|p| p.len() > 1) {
                let key = format!("{}/{}", person[0].0, person[0].1);
                for (source, patient) in person {
                    link.execute(params![source, patient, key])?;
                }
            }
            let mut pair =
                tx.prepare_cached("INSERT OR REPLACE INTO link_review (a_source, a_patient, b_source, b_patient, score, why) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            for r in review {
                pair.execute(params![r.a_source, r.a_patient, r.b_source, r.b_patient, r.score, r.why])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces the keys records can be linked through: every record's (`whole`), or those of the
    /// records given.
    pub fn replace_link_keys(&mut self, whole: bool, records: &[(RecordRef, Vec<String>)]) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if whole {
            tx.execute("DELETE FROM link_key", [])?;
        }
        {
            let mut forget = tx.prepare_cached("DELETE FROM link_key WHERE source = ?1 AND patient = ?2")?;
            let mut keep = tx.prepare_cached("INSERT OR IGNORE INTO link_key (key, source, patient) VALUES (?1, ?2, ?3)")?;
            for ((source, patient), keys) in records {
                if !whole {
                    forget.execute(params![source, patient])?;
                }
                for key in keys {
                    keep.execute(params![key, source, patient])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// How far the identity layer has read the change feed: `None` before its first full relink.
    pub fn identity_cursor(&self) -> Result<Option<i64>, StoreError> {
        use rusqlite::OptionalExtension;
        Ok(self.conn.query_row("SELECT seq FROM rule_cursor WHERE name = 'identity'", [], |r| r.get(0)).optional()?)
    }

    /// Moves the identity layer's cursor to `seq` (the change feed is kept until it and the rules'
    /// cursor have both passed a change).
    pub fn set_identity_cursor(&mut self, seq: i64) -> Result<(), StoreError> {
        self.conn.execute("INSERT INTO rule_cursor (name, seq) VALUES ('identity', ?1) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq", [seq])?;
        Ok(())
    }

    /// The cache's latest change (0 when none).
    pub fn last_change(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT coalesce(max(seq), 0) FROM change_log", [], |r| r.get(0))?)
    }

    /// The Patients and Linkages changed after `seq`, as (seq, source, type, id).
    pub fn identity_changes_since(&self, seq: i64) -> Result<Vec<(i64, String, String, String)>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT seq, source, type, id FROM change_log WHERE seq > ?1 AND type IN ('Patient', 'Linkage') ORDER BY seq")?;
        let changes = stmt.query_map([seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
        Ok(changes)
    }

    /// The records sharing `key`, or `None` when more than `max` do (a block that pairs nothing).
    pub fn records_with_key(&self, key: &str, max: usize) -> Result<Option<Vec<RecordRef>>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT source, patient FROM link_key WHERE key = ?1 LIMIT ?2")?;
        let records: Vec<RecordRef> = stmt.query_map(params![key, max as i64 + 1], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        Ok((records.len() <= max).then_some(records))
    }

    /// Every record of the person this record belongs to, this one first; just this one when unlinked.
    pub fn linked_records(&self, source: &str, patient: &str) -> Result<Vec<RecordRef>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT b.source, b.patient FROM person_link a JOIN person_link b ON b.person = a.person
             WHERE a.source = ?1 AND a.patient = ?2 ORDER BY b.source, b.patient",
        )?;
        let mut records: Vec<RecordRef> = stmt.query_map([source, patient], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        records.retain(|(s, p)| !(s == source && p == patient));
        records.insert(0, (source.to_string(), patient.to_string()));
        Ok(records)
    }

    /// The pairs waiting for staff, the likeliest first.
    pub fn review_queue(&self, today: NaiveDate) -> Result<Vec<ReviewPair>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT a_source, a_patient, b_source, b_patient, score, why FROM link_review ORDER BY score DESC")?;
        let rows = stmt.query_map([], |r| {
            let (a, b) = (None, None);
            Ok(ReviewPair { a_source: r.get(0)?, a_patient: r.get(1)?, b_source: r.get(2)?, b_patient: r.get(3)?, score: r.get(4)?, why: r.get(5)?, a, b })
        })?;
        let mut pairs: Vec<ReviewPair> = rows.collect::<Result<_, _>>()?;
        for pair in &mut pairs {
            pair.a = self.banner(&pair.a_source, &pair.a_patient, today)?;
            pair.b = self.banner(&pair.b_source, &pair.b_patient, today)?;
        }
        Ok(pairs)
    }

    fn banner(&self, source: &str, patient: &str, today: NaiveDate) -> Result<Option<Banner>, StoreError> {
        let Some(json) = self.resource(source, "Patient", patient)? else { return Ok(None) };
        let value: serde_json::Value = serde_json::from_str(&json).map_err(|e| StoreError::BadResource(e.to_string()))?;
        Ok(Some(banner_of(patient, &value, today)))
    }
}
