//! What the rules engine keeps in the cache: its place in the change feed, the outputs it already made,
//! and the alerts it raised.

use crate::db::Store;
use crate::error::StoreError;
use crate::ingest::Writer;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

/// One row of the change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    pub seq: i64,
    pub source: String,
    pub resource_type: String,
    pub id: String,
    /// created | updated | deleted
    pub kind: String,
    /// For updates: the top-level elements that differ.
    pub changed: Vec<String>,
    /// Written by a source's first sync of this type.
    pub initial: bool,
}

/// An output a rule made before: its content signature and the outbox action that carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub rule: String,
    pub signature: String,
    pub action_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[cfg_attr(feature = "wire", serde(rename_all = "camelCase"))]
pub struct AlertRow {
    pub key: String,
    pub rule: String,
    pub source: String,
    pub patient_id: Option<String>,
    /// The role the alert is for, e.g. "Nurse lead".
    pub role: String,
    pub message: String,
    /// The resource it is about, "Type/id".
    pub subject: String,
    pub raised_at: String,
}

const CURSOR: &str = "rules";

impl Store {
    /// The next changes after the rules' cursor, oldest first.
    pub fn pending_changes(&self, limit: usize) -> Result<Vec<ChangeRow>, StoreError> {
        let after = self.rules_cursor()?;
        let mut stmt = self.conn.prepare_cached("SELECT seq, source, type, id, kind, changed, initial FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
        let rows = stmt.query_map(params![after, limit as i64], |r| {
            let changed: Option<String> = r.get(5)?;
            Ok(ChangeRow {
                seq: r.get(0)?,
                source: r.get(1)?,
                resource_type: r.get(2)?,
                id: r.get(3)?,
                kind: r.get(4)?,
                changed: changed.map(|c| c.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()).unwrap_or_default(),
                initial: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn rules_cursor(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT seq FROM rule_cursor WHERE name = ?1", [CURSOR], |r| r.get(0)).optional()?.unwrap_or(0))
    }

    /// Moves the cursor past `seq` and forgets the changes read, in one transaction.
    pub fn mark_changes_read(&mut self, seq: i64) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("INSERT INTO rule_cursor (name, seq) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET seq = max(seq, excluded.seq)", params![CURSOR, seq])?;
        // The identity layer reads the same feed, from its own cursor when it keeps one.
        tx.execute("DELETE FROM change_log WHERE seq <= min(?1, coalesce((SELECT seq FROM rule_cursor WHERE name = 'identity'), ?1))", [seq])?;
        Ok(tx.commit()?)
    }

    pub fn fired(&self, key: &str) -> Result<Option<Fired>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT rule, signature, action_id FROM rule_fired WHERE key = ?1")?
            .query_row([key], |r| Ok(Fired { rule: r.get(0)?, signature: r.get(1)?, action_id: r.get(2)? }))
            .optional()?)
    }

    /// Fired outputs whose key starts with `prefix` (an appointment's reminders), with their keys.
    pub fn fired_with_prefix(&self, prefix: &str) -> Result<Vec<(String, Fired)>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT key, rule, signature, action_id FROM rule_fired WHERE key >= ?1 AND key < ?2")?;
        let end = format!("{prefix}\u{10FFFF}");
        let rows = stmt.query_map(params![prefix, end], |r| Ok((r.get(0)?, Fired { rule: r.get(1)?, signature: r.get(2)?, action_id: r.get(3)? })))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn record_fired(&mut self, key: &str, fired: &Fired, source: &str, at: &str) -> Result<(), StoreError> {
        let mut writer = self.writer(at)?;
        writer.record_fired(key, fired, source)?;
        writer.commit()
    }
}

impl Writer<'_> {
    /// Records a rule output in this transaction (the rules write it with the action that carries it).
    pub fn record_fired(&mut self, key: &str, fired: &Fired, source: &str) -> Result<(), StoreError> {
        let at = self.synced_at().to_string();
        self.tx()
            .prepare_cached(
                "INSERT INTO rule_fired (key, rule, source, signature, action_id, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (key) DO UPDATE SET signature = excluded.signature, action_id = excluded.action_id, at = excluded.at",
            )?
            .execute(params![key, fired.rule, source, fired.signature, fired.action_id, at])?;
        Ok(())
    }
}

impl Store {
    /// Raises an alert once per key; returns whether it is new.
    pub fn raise_alert(&mut self, alert: &AlertRow) -> Result<bool, StoreError> {
        let added = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO alert (key, rule, source, patient_id, role, message, subject, raised_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![alert.key, alert.rule, alert.source, alert.patient_id, alert.role, alert.message, alert.subject, alert.raised_at])?;
        Ok(added > 0)
    }

    /// Alerts not yet dismissed, newest first.
    pub fn alerts(&self) -> Result<Vec<AlertRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT key, rule, source, patient_id, role, message, subject, raised_at FROM alert
             WHERE dismissed_at IS NULL ORDER BY raised_at DESC, key",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AlertRow {
                key: r.get(0)?,
                rule: r.get(1)?,
                source: r.get(2)?,
                patient_id: r.get(3)?,
                role: r.get(4)?,
                message: r.get(5)?,
                subject: r.get(6)?,
                raised_at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn dismiss_alert(&mut self, key: &str, at: &str) -> Result<bool, StoreError> {
        Ok(self.conn.execute("UPDATE alert SET dismissed_at = ?2 WHERE key = ?1 AND dismissed_at IS NULL", params![key, at])? > 0)
    }

    /// Cached resources of one type whose JSON element at `path` (SQLite JSON path, e.g. `$.status`)
    /// is one of `values`: (source, id, json). The time-based rules scan with it.
    pub fn resources_with(&self, resource_type: &str, path: &str, values: &[&str]) -> Result<Vec<(String, String, String)>, StoreError> {
        let list = serde_json::to_string(values).unwrap_or_default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT source, id, json FROM resource WHERE type = ?1
             AND json_extract(json, ?2) IN (SELECT value FROM json_each(?3))",
        )?;
        let rows = stmt.query_map(params![resource_type, path, list], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A patient's cached resources of one type: (id, json).
    pub fn patient_resources(&self, source: &str, patient_id: &str, resource_type: &str) -> Result<Vec<(String, String)>, StoreError> {
        // The primary key's prefix: the patient's rows of the type, side by side.
        let mut stmt = self.conn.prepare_cached("SELECT id, json FROM resource WHERE source = ?1 AND patient_id = ?2 AND type = ?3")?;
        let rows = stmt.query_map(params![source, patient_id, resource_type], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;
    use serde_json::json;

    #[test]
    fn the_change_feed_says_what_was_created_changed_and_deleted_and_forgets_what_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_with_key(&dir.path().join("cache.db"), &[7u8; 32], "US").unwrap();
        let v1 = json!({"resourceType": "Observation", "id": "o1", "meta": {"versionId": "1"}, "status": "preliminary", "valueQuantity": {"value": 5}});
        let mut v2 = v1.clone();
        v2["meta"]["versionId"] = json!("2");
        v2["status"] = json!("final");
        v2["valueQuantity"]["value"] = json!(6);
        let mut writer = store.writer("2026-11-26T00:00:00Z").unwrap();
        writer.set_initial(true);
        writer.upsert("s", &v1.to_string()).unwrap();
        writer.upsert("s", &v1.to_string()).unwrap(); // the same version again: nothing to say
        writer.commit().unwrap();
        let mut writer = store.writer("2026-11-26T00:01:00Z").unwrap();
        writer.upsert("s", &v2.to_string()).unwrap();
        writer.delete("s", "Observation", "o1").unwrap();
        writer.commit().unwrap();

        let changes = store.pending_changes(10).unwrap();
        let seen: Vec<(&str, Vec<String>, bool)> = changes.iter().map(|c| (c.kind.as_str(), c.changed.clone(), c.initial)).collect();
        assert_eq!(
            seen,
            vec![("created", vec![], true), ("updated", vec!["status".to_string(), "valueQuantity".to_string()], false), ("deleted", vec![], false)]
        );
        store.mark_changes_read(changes[1].seq).unwrap();
        assert_eq!(store.pending_changes(10).unwrap().iter().map(|c| c.kind.as_str()).collect::<Vec<_>>(), ["deleted"]);
    }

    /// The identity layer reads the same feed: what it has not read yet is kept past the rules.
    #[test]
    fn the_feed_is_kept_until_the_identity_layer_has_read_it_too() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_with_key(&dir.path().join("cache.db"), &[7u8; 32], "US").unwrap();
        let mut writer = store.writer("2026-11-26T00:00:00Z").unwrap();
        for id in ["a", "b"] {
            writer.upsert("s", &json!({"resourceType": "Patient", "id": id, "meta": {"versionId": "1"}}).to_string()).unwrap();
        }
        writer.commit().unwrap();
        let first = store.identity_changes_since(0).unwrap()[0].0;
        store.set_identity_cursor(first).unwrap();
        store.mark_changes_read(store.last_change().unwrap()).unwrap();
        assert!(store.pending_changes(10).unwrap().is_empty(), "the rules have read everything");
        let unread: Vec<String> = store.identity_changes_since(first).unwrap().into_iter().map(|(_, _, _, id)| id).collect();
        assert_eq!(unread, ["b"]);
    }
}
