//! The committed TypeScript bindings match the Rust types.

use std::collections::BTreeMap;
use std::path::Path;

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries.map(|e| e.unwrap().path()).map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), std::fs::read_to_string(&p).unwrap())).collect()
        })
        .unwrap_or_default()
}

#[test]
fn typescript_bindings_are_fresh() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings");
    if std::env::var_os("SWITCHBOARD_UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        switchboard_desktop::bindings::export(&committed).unwrap();
    }
    let fresh = tempfile::tempdir().unwrap();
    switchboard_desktop::bindings::export(fresh.path()).unwrap();
    let (expected, found) = (read_dir(fresh.path()), read_dir(&committed));
    assert!(expected.contains_key("PatientView.ts"));
    assert_eq!(
        expected.keys().collect::<Vec<_>>(),
        found.keys().collect::<Vec<_>>(),
        "ui/src/bindings is stale: run `SWITCHBOARD_UPDATE_BINDINGS=1 cargo test --test bindings`"
    );
    for (name, text) in &expected {
        assert_eq!(&found[name], text, "ui/src/bindings/{name} is stale: run `SWITCHBOARD_UPDATE_BINDINGS=1 cargo test --test bindings`");
    }
}
