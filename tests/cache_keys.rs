//! The encrypted cache and its key in the real OS keyring: wrong, missing or malformed keys and a
//! damaged file each give a clear error, change nothing, and never crash.

use std::process::Command;
use switchboard_store::{StoreError, KEYRING_SERVICE};
use switchboard_testkit::TestHome;

fn key_entry(home: &TestHome) -> keyring::Entry {
    keyring::Entry::new(KEYRING_SERVICE, &home.home.cache_key_account()).unwrap()
}

/// A cache holding one patient, closed again.
fn cache_with_a_patient(home: &TestHome) {
    let mut store = home.store();
    let mut writer = store.writer("2026-11-26T00:00:00Z").unwrap();
    writer.upsert("demo", r#"{"resourceType":"Patient","id":"p1","name":[{"family":"Zyxwvutson","given":["Quinta"]}],"birthDate":"1970-01-01"}"#).unwrap();
    writer.commit().unwrap();
}

#[test]
fn the_cache_is_encrypted_at_rest_with_a_key_only_in_the_keyring() {
    let home = TestHome::new();
    cache_with_a_patient(&home);
    let key = key_entry(&home).get_password().unwrap();
    assert_eq!(key.len(), 64, "a 256-bit key in hex");
    let data_dir = &home.home.data_dir;
    for entry in std::fs::read_dir(data_dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("Zyxwvutson"), "a patient's name is readable on disk");
        assert!(!text.contains("SQLite format 3"), "the file is a plain SQLite database");
        assert!(!text.contains(&key), "the key is on disk");
    }
    let store = home.store();
    assert_eq!(store.search_text("zyx", true, chrono::Utc::now().date_naive()).unwrap().len(), 1);
}

#[test]
fn a_wrong_key_is_refused_and_the_file_is_left_alone() {
    let home = TestHome::new();
    cache_with_a_patient(&home);
    let file = home.home.cache_file();
    let before = std::fs::read(&file).unwrap();
    key_entry(&home).set_password(&"ab".repeat(32)).unwrap();
    let error = switchboard_store::Store::open(&home.home, "US").err().unwrap();
    assert!(matches!(error, StoreError::CannotDecrypt { .. }), "{error}");
    assert!(error.to_string().contains("does not unlock it"), "{error}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn a_malformed_key_is_refused() {
    let home = TestHome::new();
    cache_with_a_patient(&home);
    key_entry(&home).set_password("not a key").unwrap();
    let error = switchboard_store::Store::open(&home.home, "US").err().unwrap();
    assert!(matches!(error, StoreError::KeyMalformed), "{error}");
}

#[test]
fn a_missing_key_is_an_error_and_no_new_key_replaces_it() {
    let home = TestHome::new();
    cache_with_a_patient(&home);
    let before = std::fs::read(home.home.cache_file()).unwrap();
    key_entry(&home).delete_credential().unwrap();
    let error = switchboard_store::Store::open(&home.home, "US").err().unwrap();
    assert!(matches!(error, StoreError::KeyMissing { .. }), "{error}");
    assert!(error.to_string().contains("missing from the OS keyring"), "{error}");
    assert!(matches!(key_entry(&home).get_password(), Err(keyring::Error::NoEntry)));
    assert_eq!(std::fs::read(home.home.cache_file()).unwrap(), before);
}

#[test]
fn a_damaged_cache_file_is_reported_not_crashed_on() {
    let home = TestHome::new();
    cache_with_a_patient(&home);
    let file = home.home.cache_file();
    let mut rng = fastrand::Rng::with_seed(3);
    let garbage: Vec<u8> = (0..16_384).map(|_| rng.u8(..)).collect();
    std::fs::write(&file, &garbage).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    let error = switchboard_store::Store::open(&home.home, "US").err().unwrap();
    assert!(matches!(error, StoreError::CannotDecrypt { .. }), "{error}");
    assert_eq!(std::fs::read(&file).unwrap(), garbage);

    // The CLI says so in words, with the cache exit code, and without a panic.
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard")).args(["search", "zyx"]).env("SWITCHBOARD_HOME", home.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("cannot be opened") && !stderr.contains("panicked"), "{stderr}");
}
