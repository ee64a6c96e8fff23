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
    include_str!("../migrations/0016_resource_by_patient.sql"),
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

    /// Runs `read` in one read transaction: its queries see one state of the cache and take the file
    /// lock once, not once per statement (which showed in a workspace view's profile).
    pub(crate) fn reading<T>(&self, read: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let value = read()?;
        tx.commit()?;
        Ok(value)
    }

    /// One cached resource's raw JSON. A Patient is its own patient, so it is found by the whole key,
    /// without the lookup through the (source, type, id) index (search reads one per hit).
    pub fn resource(&self, source: &str, resource_type: &str, id: &str) -> Result<Option<String>, StoreError> {
        let by_key = if resource_type == "Patient" { PATIENT_BY_KEY } else { "SELECT json FROM resource WHERE source = ?1 AND type = ?2 AND id = ?3" };
        let mut stmt = self.conn.prepare_cached(by_key)?;
        let mut rows = stmt.query([source, resource_type, id])?;
        Ok(match rows.next()? {
            Some(row) => Some(row.get(0)?),
            None => None,
        })
    }
}

/// A Patient by the table's own key (`NOT INDEXED`: the planner would take the unique index first).
const PATIENT_BY_KEY: &str = "SELECT json FROM resource NOT INDEXED WHERE source = ?1 AND patient_id = ?3 AND type = ?2 AND id = ?3";

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

    /// The kept counts equal a real count after a seeded mix of new rows, updates (some moving a
    /// resource to another patient, which changes its key) and deletes, and after the cache is opened
    /// again; each resource is held once.
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
                    let mut resource = json!({"resourceType": kind, "id": id, "meta": {"versionId": round.to_string()}});
                    if kind != "Patient" && rng.bool() {
                        resource["subject"] = json!({"reference": format!("Patient/p{}", rng.u8(..3))});
                        resource["for"] = resource["subject"].clone();
                    }
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
            let held_twice: i64 =
                store.conn.query_row("SELECT count(*) FROM (SELECT 1 FROM resource GROUP BY source, type, id HAVING count(*) > 1)", [], |r| r.get(0)).unwrap();
            assert_eq!(held_twice, 0, "round {round}");
        }
        let before = store.counts().unwrap();
        drop(store);
        assert_eq!(Store::open_with_key(&path, &[5; 32], "US").unwrap().counts().unwrap(), before);
    }

    /// A cache written before the resource table was keyed by patient keeps every row, its counts,
    /// its pending actions and its lookups by id through the migration.
    #[test]
    fn the_patient_keyed_table_keeps_an_older_caches_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let key = [9; 32];
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", encode_hex(&key))).unwrap();
            for (version, migration) in MIGRATIONS[..15].iter().enumerate() {
                conn.execute_batch(migration).unwrap();
                conn.execute_batch(&format!("PRAGMA user_version = {}", version + 1)).unwrap();
            }
            conn.execute_batch(
                "INSERT INTO resource (source, type, id, patient_id, json, synced_at, pending_action) VALUES
                     ('a', 'Patient', 'p1', 'p1', '{\"resourceType\":\"Patient\",\"id\":\"p1\"}', 's', NULL),
                     ('a', 'Observation', 'o1', 'p1', '{\"resourceType\":\"Observation\",\"id\":\"o1\"}', 's', 'act-1'),
                     ('a', 'Practitioner', 'dr', NULL, '{\"resourceType\":\"Practitioner\",\"id\":\"dr\"}', 's', NULL),
                     ('b', 'Task', 't1', 'p9', '{\"resourceType\":\"Task\",\"id\":\"t1\"}', 's', NULL);",
            )
            .unwrap();
        }
        let store = Store::open_with_key(&path, &key, "US").unwrap();
        let rows = |sql: &str| -> Vec<(String, String, String)> {
            store.conn.prepare(sql).unwrap().query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().collect::<Result<_, _>>().unwrap()
        };
        let kept = rows("SELECT source || '/' || type || '/' || id, patient_id, coalesce(pending_action, '') FROM resource ORDER BY 1");
        let expected = [("a/Observation/o1", "p1", "act-1"), ("a/Patient/p1", "p1", ""), ("a/Practitioner/dr", "", ""), ("b/Task/t1", "p9", "")];
        assert_eq!(kept, expected.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())));
        assert!(store.resource("a", "Practitioner", "dr").unwrap().is_some());
        assert_eq!(store.count_of("a", "Observation").unwrap(), 1);
        assert_eq!(store.patient_resources("a", "p1", "Observation").unwrap().len(), 1);
        assert!(store.resource("a", "Patient", "p1").unwrap().is_some());
    }

    /// The reads that would otherwise walk the table take their index: a Patient by the whole key, the
    /// worklist's Tasks from the index holding them, a day's appointments and slots by start (the
    /// appointments also for the patients in view).
    #[test]
    fn reads_across_patients_take_their_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with_key(&dir.path().join("c.db"), &[3; 32], "US").unwrap();
        let plan = |sql: &str, params: &[&str]| -> String {
            let mut stmt = store.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let rows: Vec<String> = stmt.query_map(rusqlite::params_from_iter(params), |r| r.get(3)).unwrap().collect::<Result<_, _>>().unwrap();
            rows.join("; ")
        };
        let by_key = plan(PATIENT_BY_KEY, &["a", "Patient", "p1"]);
        assert!(by_key.contains("PRIMARY KEY (source=? AND patient_id=? AND type=? AND id=?)"), "{by_key}");
        let tasks = plan(crate::worklist::TASK_ROWS, &["a"]);
        assert!(tasks.contains("COVERING INDEX task_rows"), "{tasks}");
        let window = ["a", "2026-01-01 00:00:00", "2026-01-02 00:00:00"];
        let day = plan(&crate::schedule::starting_sql("Appointment"), &window);
        assert!(day.contains("INDEX appointment_start"), "{day}");
        let slots = plan(&crate::schedule::starting_sql("Slot"), &window);
        assert!(slots.contains("INDEX slot_start"), "{slots}");
        let in_view = plan(&crate::in_view::patients_in_view_sql(), &["a", "2026-01-01 00:00:00", "2026-01-09 00:00:00", "2025-12-01"]);
        assert!(in_view.contains("INDEX appointment_start") && in_view.contains("COVERING INDEX task_rows"), "{in_view}");
        assert!(!in_view.contains("PRIMARY KEY"), "no walk of a whole source: {in_view}");
    }

    /// Rewriting the resource table leaves no copy of a row in the file: once the row is deleted as an
    /// eviction deletes (under `secure_delete`), its bytes are nowhere. No key here, so the file is
    /// plain and its bytes can be searched.
    #[test]
    fn the_rewritten_table_leaves_no_copy_of_a_row_behind() {
        const MARK: &str = "Zyxwvut-Okafor";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plain.db");
        let conn = Connection::open(&path).unwrap();
        for migration in &MIGRATIONS[..15] {
            conn.execute_batch(migration).unwrap();
        }
        // Enough rows that the new table's indexes cannot reuse every page the old table leaves.
        for n in 0..300 {
            let json = format!("{{\"resourceType\":\"Patient\",\"id\":\"p{n}\",\"name\":[{{\"family\":\"{MARK}\"}}],\"text\":\"{}\"}}", "x".repeat(500));
            conn.execute(
                "INSERT INTO resource (source, type, id, patient_id, json, synced_at) VALUES ('a', 'Patient', ?1, ?1, ?2, 's')",
                [format!("p{n}"), json],
            )
            .unwrap();
        }
        let held = |path: &Path| std::fs::read(path).unwrap().windows(MARK.len()).any(|w| w == MARK.as_bytes());
        assert!(held(&path), "the rows are in the file before the rewrite");
        conn.execute_batch(MIGRATIONS[15]).unwrap();
        conn.execute_batch("PRAGMA secure_delete = ON; DELETE FROM resource;").unwrap();
        drop(conn);
        assert!(!held(&path), "a copy of a deleted row is still in the file");
    }
}
