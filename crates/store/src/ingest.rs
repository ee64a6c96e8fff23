//! Writing synced resources. A `Writer` is one IMMEDIATE transaction: rows, search tokens and the sync
//! cursor commit together or not at all.

use crate::db::Store;
use crate::error::StoreError;
use crate::index::{patient_of, patient_tokens};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Inserted,
    Updated,
    /// The cache already held this (type, id, versionId): nothing was written.
    Unchanged,
}

/// What an upsert did, and the resource's `meta.lastUpdated` (sync's high-water mark comes from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub outcome: Upserted,
    pub last_updated: Option<String>,
}

pub struct Writer<'a> {
    tx: Transaction<'a>,
    region: phonenumber::country::Id,
    synced_at: String,
    /// Changes written now come from a source's first sync of their type (rules skip old data then).
    initial: bool,
    /// Whether upserts and deletes go to the change feed (not for the demo clinic, which has no rules).
    feed: bool,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(rename = "versionId")]
    version_id: Option<String>,
    #[serde(rename = "lastUpdated")]
    last_updated: Option<String>,
}

/// A resource's type, id and meta, read once.
struct Parsed {
    value: Value,
    resource_type: String,
    id: String,
    meta: Meta,
}

impl Parsed {
    fn new(raw: &str) -> Result<Parsed, StoreError> {
        let value: Value = serde_json::from_str(raw).map_err(|e| StoreError::BadResource(format!("not JSON: {e}")))?;
        let resource_type = value
            .get("resourceType")
            .and_then(Value::as_str)
            .ok_or_else(|| StoreError::BadResource("a resource without resourceType".to_string()))?
            .to_string();
        let id = value.get("id").and_then(Value::as_str).ok_or_else(|| StoreError::BadResource(format!("a {resource_type} without an id")))?.to_string();
        let meta: Meta = match value.get("meta") {
            Some(meta) => Meta::deserialize(meta).map_err(|e| StoreError::BadResource(format!("bad meta: {e}")))?,
            None => Meta { version_id: None, last_updated: None },
        };
        Ok(Parsed { value, resource_type, id, meta })
    }
}

impl Store {
    /// Starts a write transaction; `synced_at` stamps every row it writes.
    pub fn writer(&mut self, synced_at: &str) -> Result<Writer<'_>, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Writer { tx, region: self.phone_region, synced_at: synced_at.to_string(), initial: false, feed: true })
    }
}

impl Writer<'_> {
    /// Stores one resource exactly as the server sent it. Deduplicates on (type, id, versionId), and
    /// leaves alone a resource with a local change still waiting in the outbox.
    pub fn upsert(&mut self, source: &str, raw: &str) -> Result<Stored, StoreError> {
        let parsed = Parsed::new(raw)?;
        let stored = |outcome| Stored { outcome, last_updated: parsed.meta.last_updated.clone() };
        let existing: Option<(Option<String>, String, Option<String>)> = self
            .tx
            .prepare_cached("SELECT version_id, json, pending_action FROM resource WHERE source = ?1 AND type = ?2 AND id = ?3")?
            .query_row(params![source, parsed.resource_type, parsed.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let outcome = match &existing {
            Some((_, _, Some(_))) => return Ok(stored(Upserted::Unchanged)),
            Some((Some(version), _, _)) if parsed.meta.version_id.as_ref() == Some(version) => return Ok(stored(Upserted::Unchanged)),
            Some((None, json, _)) if parsed.meta.version_id.is_none() && json == raw => return Ok(stored(Upserted::Unchanged)),
            Some(_) => Upserted::Updated,
            None => Upserted::Inserted,
        };
        self.write(source, &parsed, raw, None)?;
        self.log_change(source, &parsed, existing.as_ref().map(|(_, json, _)| json.as_str()))?;
        Ok(stored(outcome))
    }

    /// Marks what this writer stores as a source's first sync of the type.
    pub fn set_initial(&mut self, initial: bool) {
        self.initial = initial;
    }

    /// Writes without a change feed (bulk loads no rule should see).
    pub fn without_change_feed(&mut self) {
        self.feed = false;
    }

    /// Stores a resource whatever the cache holds: a local change (`pending_action` set) or the server's
    /// answer to a delivered action (which goes to the change feed, as the server's data).
    pub fn upsert_forced(&mut self, source: &str, raw: &str, pending_action: Option<&str>) -> Result<(), StoreError> {
        let parsed = Parsed::new(raw)?;
        let before: Option<String> = match pending_action {
            Some(_) => None,
            None => self
                .tx
                .prepare_cached("SELECT json FROM resource WHERE source = ?1 AND type = ?2 AND id = ?3")?
                .query_row(params![source, parsed.resource_type, parsed.id], |r| r.get(0))
                .optional()?,
        };
        self.write(source, &parsed, raw, pending_action)?;
        if pending_action.is_none() && before.as_deref() != Some(raw) {
            self.log_change(source, &parsed, before.as_deref())?;
        }
        Ok(())
    }

    /// One row in the change feed; for an update, which top-level elements differ.
    fn log_change(&mut self, source: &str, parsed: &Parsed, before: Option<&str>) -> Result<(), StoreError> {
        let (kind, changed) = match before {
            None => ("created", None),
            Some(before) => ("updated", Some(changed_elements(before, &parsed.value))),
        };
        self.insert_change(source, &parsed.resource_type, &parsed.id, kind, changed.as_deref())
    }

    fn insert_change(&mut self, source: &str, resource_type: &str, id: &str, kind: &str, changed: Option<&str>) -> Result<(), StoreError> {
        if !self.feed {
            return Ok(());
        }
        self.tx
            .prepare_cached("INSERT INTO change_log (source, type, id, kind, changed, initial, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?
            .execute(params![source, resource_type, id, kind, changed, self.initial, self.synced_at])?;
        Ok(())
    }

    fn write(&mut self, source: &str, parsed: &Parsed, raw: &str, pending_action: Option<&str>) -> Result<(), StoreError> {
        // A key column: '' for a resource about no patient.
        let patient_id = patient_of(&parsed.resource_type, &parsed.id, &parsed.value).unwrap_or_default();
        self.tx
            .prepare_cached(
                "INSERT INTO resource (source, type, id, version_id, last_updated, patient_id, json, synced_at, pending_action)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT DO UPDATE SET version_id = excluded.version_id,
                   last_updated = excluded.last_updated, patient_id = excluded.patient_id,
                   json = excluded.json, synced_at = excluded.synced_at, pending_action = excluded.pending_action",
            )?
            .execute(params![
                source,
                parsed.resource_type,
                parsed.id,
                parsed.meta.version_id,
                parsed.meta.last_updated,
                patient_id,
                raw,
                self.synced_at,
                pending_action
            ])?;
        if parsed.resource_type == "Patient" {
            let tokens = patient_tokens(&parsed.value, self.region);
            self.replace_tokens(source, &parsed.id, &tokens)?;
        }
        Ok(())
    }

    pub(crate) fn tx(&self) -> &Transaction<'_> {
        &self.tx
    }

    pub(crate) fn synced_at(&self) -> &str {
        &self.synced_at
    }

    /// Removes a resource (deleted on the server). Returns whether the cache had it.
    pub fn delete(&mut self, source: &str, resource_type: &str, id: &str) -> Result<bool, StoreError> {
        let removed =
            self.tx.prepare_cached("DELETE FROM resource WHERE source = ?1 AND type = ?2 AND id = ?3")?.execute(params![source, resource_type, id])?;
        if resource_type == "Patient" {
            self.replace_tokens(source, id, &[])?;
        }
        if removed > 0 {
            self.insert_change(source, resource_type, id, "deleted", None)?;
        }
        Ok(removed > 0)
    }

    /// Records how far a type has been synced, in the same transaction as its rows.
    pub fn set_cursor(&mut self, source: &str, resource_type: &str, high_water: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO sync_cursor (source, type, high_water) VALUES (?1, ?2, ?3)
                 ON CONFLICT (source, type) DO UPDATE SET high_water = excluded.high_water",
            )?
            .execute(params![source, resource_type, high_water])?;
        Ok(())
    }

    pub fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit()?)
    }

    fn replace_tokens(&mut self, source: &str, patient_id: &str, tokens: &[String]) -> Result<(), StoreError> {
        self.tx.prepare_cached("DELETE FROM patient_token WHERE source = ?1 AND patient_id = ?2")?.execute(params![source, patient_id])?;
        let mut insert = self.tx.prepare_cached("INSERT OR IGNORE INTO patient_token (token, source, patient_id) VALUES (?1, ?2, ?3)")?;
        for token in tokens {
            insert.execute(params![token, source, patient_id])?;
        }
        crate::search::index_for_search(&self.tx, source, patient_id, tokens)
    }
}

/// The top-level elements whose values differ between two versions, `meta` aside: "status,valueQuantity".
fn changed_elements(before: &str, after: &Value) -> String {
    let before: Value = serde_json::from_str(before).unwrap_or(Value::Null);
    let empty = serde_json::Map::new();
    let (old, new) = (before.as_object().unwrap_or(&empty), after.as_object().unwrap_or(&empty));
    let mut names: Vec<&str> = old.keys().chain(new.keys()).map(String::as_str).filter(|k| *k != "meta" && old.get(*k) != new.get(*k)).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

impl Store {
    /// The sync high-water mark of a type, if it was ever synced.
    pub fn cursor(&self, source: &str, resource_type: &str) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT high_water FROM sync_cursor WHERE source = ?1 AND type = ?2", [source, resource_type], |r| r.get(0)).optional()?)
    }
}
