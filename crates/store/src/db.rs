//! Opening the encrypted cache and bringing its schema up to date.

use crate::error::StoreError;
use crate::key::{cache_key, encode_hex};
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use switchboard_core::Home;

/// Numbered migrations, embedded in the binary; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_cache.sql"),
    include_str!("../migrations/0002_outbox.sql"),
    include_str!("../migrations/0003_rules.sql"),
    include_str!("../migrations/0004_calls.sql"),
    include_str!("../migrations/0005_kind_names.sql"),
    include_str!("../migrations/0006_resource_counts.sql"),
    include_str!("../migrations/0007_audit.sql"),
    include_str!("../migrations/0008_outbox_actor.sql"),
    include_str!("../migrations/0009_export_job.sql"),
    include_str!("../migrations/0010_patient_seen.sql"),
    include_str!("../migrations/0011_persons.sql"),
    include_str!("../migrations/0012_patient_search.sql"),
    include_str!("../migrations/0013_link_keys.sql"),
    include_str!("../migrations/0014_hl7_messages.sql"),
    include_str!("../migrations/0015_hl7_error_code.sql"),
];

pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    /// Region for reading phone numbers without a country code.
    pub(crate) phone_region: phonenumber::country::Id,
}

impl Store {
    /// Opens (or creates) the cache of `home`, with its key from the OS keyring.
    pub fn open(home: &Home, phone_region: &str) -> Result<Store, StoreError> {
        create_private_dir(&home.data_dir)?;
        let key = cache_key(home)?;
        crate::usage::count_cache_open();
        Store::open_with_key(&home.cache_file(), &key, phone_region)
    }

    pub fn open_with_key(path: &Path, key: &[u8; 32], phone_region: &str) -> Result<Store, StoreError> {
        let io = |e: std::io::Error| StoreError::Io { path: path.to_path_buf(), detail: e.to_string() };
        let conn = Connection::open(path)?;
        // SQLCipher would print decryption failures to stderr; the error below says it in words instead.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        // A raw key: no passphrase derivation, so opening is instant.
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", encode_hex(key)))?;
        let readable = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0));
        match readable {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _)) if matches!(e.code, ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                return Err(StoreError::CannotDecrypt { path: path.to_path_buf() })
            }
            Err(e) => return Err(e.into()),
        }
        restrict_permissions(path).map_err(io)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
             PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32000;",
        )?;
        conn.busy_handler(Some(wait_for_lock))?;
        let region = phone_region.parse().unwrap_or(phonenumber::country::Id::US);
        let mut store = Store { conn, path: path.to_path_buf(), phone_region: region };
        store.migrate()?;
        Ok(store)
    }

    /// Caps this connection's page cache (decrypted pages). The window's connection reads a patient
    /// at a time and needs little; the default (32 MB) suits writing a sync.
    pub fn limit_page_cache(&self, mib: u32) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch(&format!("PRAGMA cache_size = -{};", mib * 1024))?)
    }

    /// Leaves WAL checkpoints to the other connections (the worker's, which writes every round): a
    /// window's audited read then never waits behind one.
    pub fn leave_checkpoints_to_others(&self) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch("PRAGMA wal_autocheckpoint = 0;")?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let known = MIGRATIONS.len() as i64;
        loop {
            // Each step in its own IMMEDIATE transaction, so two processes never run the same one.
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version > known {
                return Err(StoreError::TooNew { found: version, known });
            }
            if version == known {
                return Ok(());
            }
            tx.execute_batch(MIGRATIONS[version as usize])?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", version + 1))?;
            tx.commit()?;
            tracing::info!(version = version + 1, "cache migrated");
        }
    }

    /// Resource counts per type, for summaries, from the counts the cache keeps as rows come and go
    /// (the window asks at start and after every sync).
    pub fn counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT type, sum(n) FROM resource_count GROUP BY type HAVING sum(n) > 0 ORDER BY type")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Number of cached resources of one type from one source.
    pub fn count_of(&self, source: &str, resource_type: &str) -> Result<i64, StoreError> {
        let counted = self.conn.query_row("SELECT n FROM resource_count WHERE source = ?1 AND type = ?2", [source, resource_type], |r| r.get(0));
        Ok(counted.optional()?.unwrap_or(0))
    }

    /// The raw JSON of every cached resource of a type from a source, by id.
    pub fn resources_of(&self, source: &str, resource_type: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id, json FROM resource WHERE source = ?1 AND type = ?2 ORDER BY id")?;
        let rows = stmt.query_map([source, resource_type], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The ids of every cached resource of a type from a source.
    pub fn ids_of(&self, source: &str, resource_type: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT id FROM resource WHERE source = ?1 AND type = ?2")?;
        let rows = stmt.query_map([source, resource_type], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One cached resource's raw JSON.
    /// Runs `read` in one read transaction: its queries see one state of the cache and take the file
    /// lock once, not once per statement (which showed in a workspace view's profile).
    pub(crate) fn reading<T>(&self, read: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let value = read()?;
        tx.commit()?;
        Ok(value)
    }

    pub fn resource(&self, source: &str, resource_type: &str, id: &str) -> Result<Option<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT json FROM resource WHERE source = ?1 AND type = ?2 AND id = ?3")?;
        let mut rows = stmt.query([source, resource_type, id])?;
        Ok(match rows.next()? {
            Some(row) => Some(row.get(0)?),
            None => None,
        })
    }
}

fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let io = |e: std::io::Error| StoreError::Io { path: dir.to_path_buf(), detail: e.to_string() };
    std::fs::create_dir_all(dir).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    Ok(())
}

fn restrict_permissions(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// While another connection of this cache writes: wait in short steps, up to about five seconds.
/// SQLite's own `busy_timeout` sleeps up to 100 ms a try, which left the HL7 receiver's writer idle
/// long after the delivery thread's short transaction had ended.
fn wait_for_lock(tries: i32) -> bool {
    const SHORT_TRIES: i32 = 50;
    let step = if tries < SHORT_TRIES { std::time::Duration::from_micros(100) } else { std::time::Duration::from_millis(1) };
    std::thread::sleep(step);
    tries < SHORT_TRIES + 5_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The kept counts equal a real count after a seeded mix of new rows, updates and deletes, and
    /// after the cache is opened again.
    #[test]
    fn kept_counts_match_the_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mut store = Store::open_with_key(&path, &[5; 32], "US").unwrap();
        let mut rng = fastrand::Rng::with_seed(11);
        for round in 0..5 {
            let mut writer = store.writer("2026-11-26T00:00:00Z").unwrap();
            for _ in 0..200 {
                let kind = ["Patient", "Task", "Observation"][rng.usize(..3)];
                let id = format!("r{}", rng.u32(..60));
                if rng.u8(..4) == 0 {
                    writer.delete(["a", "b"][rng.usize(..2)], kind, &id).unwrap();
                } else {
                    let resource = json!({"resourceType": kind, "id": id, "meta": {"versionId": round.to_string()}});
                    writer.upsert(["a", "b"][rng.usize(..2)], &resource.to_string()).unwrap();
                }
            }
            writer.commit().unwrap();
            let counted: Vec<(String, i64)> = store
                .conn
                .prepare("SELECT type, count(*) FROM resource GROUP BY type ORDER BY type")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(store.counts().unwrap(), counted, "round {round}");
            let tasks_of_a: i64 = store.conn.query_row("SELECT count(*) FROM resource WHERE source = 'a' AND type = 'Task'", [], |r| r.get(0)).unwrap();
            assert_eq!(store.count_of("a", "Task").unwrap(), tasks_of_a);
        }
        let before = store.counts().unwrap();
        drop(store);
        assert_eq!(Store::open_with_key(&path, &[5; 32], "US").unwrap().counts().unwrap(), before);
    }
}
