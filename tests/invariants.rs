//! Architecture invariants that can be checked by reading the tree.

use std::path::Path;

fn files_under(dir: &Path, extension: &str, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, extension, found);
        } else if path.extension().is_some_and(|e| e == extension) {
            found.push(path);
        }
    }
}

#[test]
fn no_core_crate_depends_on_or_imports_tauri() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut checked = 0;
    for entry in std::fs::read_dir(&crates).unwrap() {
        let dir = entry.unwrap().path();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(
            !manifest.lines().any(|l| l.trim_start().starts_with("tauri")),
            "{} depends on tauri",
            dir.display()
        );
        let mut sources = Vec::new();
        files_under(&dir, "rs", &mut sources);
        for source in sources {
            let text = std::fs::read_to_string(&source).unwrap();
            assert!(!text.contains("tauri::"), "{} uses tauri", source.display());
        }
        checked += 1;
    }
    assert!(checked >= 6, "expected the core crates under crates/");
}

#[test]
fn only_src_tauri_and_the_ui_speak_ipc() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    files_under(&root.join("crates"), "rs", &mut sources);
    for source in sources {
        let text = std::fs::read_to_string(&source).unwrap();
        assert!(!text.contains("#[tauri::command]") && !text.contains("__TAURI__"), "{}", source.display());
    }
}
