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
        assert!(!manifest.lines().any(|l| l.trim_start().starts_with("tauri")), "{} depends on tauri", dir.display());
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

/// Only `ui/src/ipc/` imports `@tauri-apps/api`: every other module reaches Rust through it.
#[test]
fn only_the_ipc_module_of_the_ui_imports_the_tauri_api() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src");
    let ipc = src.join("ipc");
    let mut sources = Vec::new();
    for extension in ["ts", "tsx"] {
        files_under(&src, extension, &mut sources);
    }
    assert!(sources.len() >= 10, "expected the UI sources under ui/src");
    let importers: Vec<_> = sources.iter().filter(|s| std::fs::read_to_string(s).unwrap().contains("@tauri-apps/api")).collect();
    assert!(importers.iter().any(|s| s.starts_with(&ipc)), "the ipc module imports the Tauri API");
    let elsewhere: Vec<_> = importers.iter().filter(|s| !s.starts_with(&ipc)).collect();
    assert!(elsewhere.is_empty(), "only ui/src/ipc/ may import @tauri-apps/api: {elsewhere:?}");
}

/// Only the desktop shell knows the wire: in the core crates, TypeScript bindings and the camelCase
/// casing sit behind the `wire` feature, which only the root package turns on.
#[test]
fn the_wire_types_are_behind_the_feature_only_the_shell_turns_on() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    files_under(&root.join("crates"), "rs", &mut sources);
    for source in &sources {
        for (n, line) in std::fs::read_to_string(source).unwrap().lines().enumerate() {
            let wire = line.contains("ts_rs") || line.contains("\"camelCase\"");
            assert!(!wire || line.contains("feature = \"wire\""), "{}:{}: wire types outside the `wire` feature", source.display(), n + 1);
        }
    }
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let manifest = std::fs::read_to_string(entry.unwrap().path().join("Cargo.toml")).unwrap();
        for line in manifest.lines().filter(|l| l.starts_with("ts-rs")) {
            assert!(line.contains("optional = true"), "ts-rs is a required dependency of a core crate: {line}");
        }
        assert!(!manifest.contains("features = [\"wire\"]"), "a core crate turns the wire feature on");
    }
    let app = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(app.contains("features = [\"wire\"]"), "the desktop shell turns the wire feature on");
}

/// The desktop shell uses the application core, not the CLI: no file under src-tauri names the CLI
/// crate (the binary's entry point, src/main.rs, composes the two front ends).
#[test]
fn the_desktop_shell_does_not_use_the_cli() {
    let mut sources = Vec::new();
    files_under(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri"), "rs", &mut sources);
    assert!(sources.len() >= 6, "expected the shell's sources");
    for source in &sources {
        assert!(!std::fs::read_to_string(source).unwrap().contains("switchboard_cli"), "{} uses the CLI crate", source.display());
    }
}
